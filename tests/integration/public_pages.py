"""Reading the patient pages the way a patient (or a screen reader) meets them: title, headings,
error summary, field errors, radios; and posting forms with the CSRF token taken from the page."""

from __future__ import annotations

import base64
import io
import re
import zlib
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

import zxingcpp
from PIL import Image

from tests.threads import race


@dataclass
class Page:
    """What a page shows, parsed once."""

    html: str
    title: str = ""
    h1: str = ""
    csrf: str | None = None
    summary_links: list[tuple[str, str]] = field(
        default_factory=list
    )  # (href, text) in the error summary
    summary_texts: list[str] = field(
        default_factory=list
    )  # every error summary item, linked or not
    field_errors: dict[str, str] = field(
        default_factory=dict
    )  # error message id (without -error) -> text
    radios: dict[str, list[tuple[str, str, bool]]] = field(
        default_factory=dict
    )  # name -> (value, label, checked)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> attributes
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    images: list[dict[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The visible-ish text, whitespace collapsed."""
        body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", self.html, flags=re.S)
        return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()

    def link(self, text: str) -> str:
        """The href of the first link whose text contains `text`."""
        for href, label in self.links:
            if text in label:
                return href
        raise AssertionError(f"no link {text!r} in {[t for _, t in self.links]}")

    def radio_value(self, name: str, label_contains: str) -> str:
        """The value of the radio whose label contains the text."""
        for value, label, _checked in self.radios[name]:
            if label_contains in label:
                return value
        raise AssertionError(f"no radio {label_contains!r} among {self.radios.get(name)}")


class _Parser(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.capture: list[
            list[str]
        ] = []  # text buffers for open title/h1/a/label/error/summary li
        self.in_summary = 0
        self.pending_radio: tuple[str, str, bool, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag in ("input", "img", "br", "meta", "link"):
            self._void(tag, a)
            return
        if "nhsuk-error-summary" in classes:
            self.in_summary = 1
        elif self.in_summary and tag == "div":
            self.in_summary += 1
        self.stack.append((tag, a))
        self.capture.append([])

    def _void(self, tag: str, a: dict[str, str]) -> None:
        if tag == "img":
            self.page.images.append(a)
        if tag != "input":
            return
        if a.get("name") == "csrf_token":
            self.page.csrf = a.get("value")
        if a.get("type") == "radio":
            self.page.radios.setdefault(a["name"], [])
            self.pending_radio = (a["name"], a.get("value", ""), "checked" in a, a.get("id", ""))
        if a.get("id"):
            self.page.inputs[a["id"]] = a

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            return
        open_tag, a = self.stack.pop()
        text = re.sub(r"\s+", " ", "".join(self.capture.pop())).strip()
        classes = a.get("class", "").split()
        if (
            self.capture and "nhsuk-caption-l" not in classes
        ):  # headings are read without their caption
            self.capture[-1].append(" " + text + " ")
        if open_tag == "title" and not self.page.title:
            self.page.title = text
        elif open_tag == "h1" and not self.page.h1:
            self.page.h1 = text
        elif open_tag == "a":
            self.page.links.append((a.get("href", ""), text))
            if self.in_summary:
                self.page.summary_links.append((a.get("href", ""), text))
        elif open_tag == "li" and self.in_summary:
            self.page.summary_texts.append(text)
        elif open_tag == "span" and "nhsuk-error-message" in classes:
            self.page.field_errors[a.get("id", "").removesuffix("-error")] = text.removeprefix(
                "Error:"
            ).strip()
        elif open_tag == "label" and self.pending_radio and a.get("for") == self.pending_radio[3]:
            name, value, checked, _id = self.pending_radio
            self.page.radios[name].append((value, text, checked))
            self.pending_radio = None
        if open_tag == "div" and self.in_summary:
            self.in_summary -= 1

    def handle_data(self, data: str) -> None:
        if self.capture:
            self.capture[-1].append(data)


def parse(html: str | bytes) -> Page:
    """Parse a page."""
    text = html.decode() if isinstance(html, bytes) else html
    page = Page(text)
    _Parser(page).feed(text)
    return page


def get(client, url: str) -> Page:  # type: ignore[no-untyped-def]
    """GET a page that must render (200)."""
    response = client.get(url)
    assert response.status_code == 200, (
        url,
        response.status_code,
        response.headers.get("Location"),
    )
    return parse(response.data)


def submit(client, url: str, data: dict[str, str] | None = None, *, page: Page | None = None):  # type: ignore[no-untyped-def]
    """POST a form the way a browser does: with the CSRF token from the page itself."""
    page = page or get(client, url)
    assert page.csrf, f"no CSRF token on {url}"
    return client.post(url, data={"csrf_token": page.csrf, **(data or {})})


def press_twice_at_once(app, client, url: str, form: dict[str, str], *, then: str) -> list[object]:  # type: ignore[no-untyped-def]
    """Two presses of one form from one browser at the same moment (a double click): two clients
    with `client`'s session cookie POST `form` to `url` together, then each opens `then`. Each
    answer is (status, Location, the text of `then`), or what was raised."""
    cookie = client.get_cookie("session").value
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        browser.set_cookie("session", cookie)

    def press(i: int) -> object:
        answer = browsers[i].post(url, data=form)
        return (answer.status_code, answer.headers.get("Location", ""), get(browsers[i], then).text)

    return race(2, press, timeout=60)  # what was raised is among the answers, for the caller


def qr_text(page: Page) -> str:
    """Decode the QR code image on a page."""
    [img] = [i for i in page.images if "phlebo-qr" in i.get("class", "")]
    assert img["src"].startswith("data:image/png;base64,") and img["alt"]
    image = Image.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1])))
    [code] = zxingcpp.read_barcodes(image)
    return code.text


def pdf_text(pdf: bytes) -> bytes:
    """Every content stream of a PDF, decoded (reportlab writes ASCII85 + Flate); no metadata."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        try:
            out.append(zlib.decompress(data))
        except zlib.error:
            out.append(data)
    return b"\n".join(out)
