"""Booking references inside sentences: each one kept whole and left to right.

A reference (ABC-DEF-GHJ) inside an Arabic sentence must keep its letters in order (isolated
as left-to-right text) and must not break at a hyphen on a narrow phone. The words around it
stay the translators' own: the reference is found in the finished sentence and wrapped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# A reference as patients see it (the example ABC-DEF-GHJ or a real one), not part of a longer
# run of letters and numbers.
REFERENCE_SHOWN = re.compile(r"(?<![A-Za-z0-9-])[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}(?![A-Za-z0-9-])")


def isolated_reference(reference: str) -> Markup:
    """One reference as HTML that reads left to right and does not wrap, in any page direction."""
    return Markup('<bdi dir="ltr" class="nhsuk-u-nowrap">%s</bdi>') % reference


def isolate_references(text: object) -> Markup:
    """Text (escaped unless already markup) with every reference in it isolated and unbroken."""
    html = str(escape(text))
    return Markup(REFERENCE_SHOWN.sub(lambda m: str(isolated_reference(m.group(0))), html))
