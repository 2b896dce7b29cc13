"""Pages opened inside the NHS App: the app adds `nhsapp-ios` or `nhsapp-android` to its
user agent and shows its own header, footer and navigation, so ours are hidden there."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request

_NHS_APP = re.compile(r"(?:^|[\s/;(])nhsapp-(?:ios|android)\b", re.IGNORECASE)


def in_nhs_app(user_agent: str) -> bool:
    """True for the NHS App's user agent (its suffix nhsapp-ios or nhsapp-android)."""
    return bool(_NHS_APP.search(user_agent or ""))


def install_nhs_app(app: Flask) -> None:
    """Tell every page whether it is inside the NHS App; pages differ by user agent, so say so
    to caches."""

    @app.context_processor
    def _in_nhs_app() -> dict[str, Any]:
        return {"in_nhs_app": in_nhs_app(request.headers.get("User-Agent", ""))}

    @app.after_request
    def _vary(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.vary.add("User-Agent")
        return response
