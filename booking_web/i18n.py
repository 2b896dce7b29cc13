"""The patient pages in the patient's language (Flask-Babel over the catalogues in
shared/translations): chosen with a link on every patient page (`?lang=cy`), kept in the session
for the whole journey, English by default. Staff pages, the API and the operations endpoints are
always English (the laboratory's language)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, redirect, request, session
from flask_babel import Babel
from werkzeug.wrappers import Response

from booking_web.reference_markup import isolate_references
from shared.locales import (
    ENGLISH,
    LANGUAGES,
    TRANSLATIONS_DIR,
    gettext,
    known_language,
    language,
    reset_language,
    set_language,
)
from shared.wording import in_sentence

SESSION_KEY = "lang"
_ENGLISH_ONLY = {"staff", "api", "ops", "metrics"}  # blueprints that never change language


def patient_page() -> bool:
    """True for a page a patient reads (everything but the staff pages, the API and ops)."""
    return request.blueprint not in _ENGLISH_ONLY and not request.path.startswith("/staff")


def page_language() -> str:
    """The language of this request's page: the patient's choice on patient pages."""
    if not patient_page():
        return ENGLISH
    return known_language(session.get(SESSION_KEY))


def language_links() -> list[dict[str, Any]]:
    """A link to this page in each language (the current one marked): the same path and
    query, with `lang` set, so the journey carries on where it was."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    current = page_language()
    return [
        {
            "code": code,
            "name": lang.name,
            "href": f"{request.path}?{urlencode([*args, ('lang', code)])}",
            "current": code == current,
        }
        for code, lang in LANGUAGES.items()
    ]


def in_sentence_for_language(name: str, *, article: bool = True) -> str:
    """A test's name inside a sentence: English grammar ('a glucose tolerance test') in
    English; as it is in another language (the catalogue's sentence places it)."""
    if language().code != ENGLISH:
        return name
    return in_sentence(name, article=article)


def shipped_words(text: str) -> str:
    """Words that came with Phlebo rather than typed by staff (the built-in test names and
    descriptions) in the page's language; anything else as it is."""
    return gettext(text) if text else text


def install_i18n(app: Flask) -> None:
    """Flask-Babel with our locale choice, the `lang` switch, and each page's language and
    direction for the templates."""
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # msgids without the template's indents
    Babel(
        app,
        locale_selector=page_language,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )

    app.add_template_filter(in_sentence_for_language, "in_sentence")
    app.add_template_filter(shipped_words, "translated")
    app.add_template_filter(isolate_references, "isolate_references")

    @app.before_request
    def _choose_language() -> Response | None:
        chosen = request.args.get("lang")
        if chosen is not None and request.method == "GET" and patient_page():
            session[SESSION_KEY] = known_language(chosen)
            rest = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
            # Back to the same page without ?lang=, so Back and a reload do not switch again.
            return redirect(request.path + (f"?{urlencode(rest)}" if rest else ""))
        request.environ["phlebo.language_token"] = set_language(page_language())
        return None

    @app.teardown_request
    def _forget_language(_exc: BaseException | None) -> None:
        token = request.environ.pop("phlebo.language_token", None)
        if token is not None:
            reset_language(token)

    @app.context_processor
    def _page_language() -> dict[str, Any]:
        lang = LANGUAGES[page_language()]
        return {
            "page_lang": "en-GB" if lang.code == ENGLISH else lang.code,
            "page_dir": lang.direction,
            "language_links": language_links if patient_page() else None,
        }
