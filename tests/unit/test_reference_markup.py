"""References found in finished sentences and wrapped, the rest of the text escaped."""

from __future__ import annotations

from markupsafe import Markup

from booking_web.reference_markup import isolate_references

BDI = '<bdi dir="ltr" class="nhsuk-u-nowrap">{}</bdi>'


def test_each_reference_in_a_sentence_is_isolated_and_the_rest_escaped() -> None:
    out = isolate_references("يتكون رقم حجزك من 9 حروف وأرقام، مثل ABC-DEF-GHJ <b> & ZS2-42D-A5T.")
    assert out == ("يتكون رقم حجزك من 9 حروف وأرقام، مثل " + BDI.format("ABC-DEF-GHJ")
                   + " &lt;b&gt; &amp; " + BDI.format("ZS2-42D-A5T") + ".")


def test_longer_runs_and_lower_case_are_not_references() -> None:
    for text in ("ABCD-DEF-GHJ", "ABC-DEF-GHJK", "abc-def-ghj", "ABC-DEF-GHJ-KLM", "01632 960000"):
        assert isolate_references(text) == text


def test_markup_already_made_is_kept() -> None:
    made = isolate_references(Markup("<a href='#x'>ABC-DEF-GHJ</a>"))
    assert made == "<a href='#x'>" + BDI.format("ABC-DEF-GHJ") + "</a>"
