"""Reading a patient's language from what senders write: BCP 47 tags (RFC 5646 section 2.1, the
JSON API and FHIR) and ISO 639-1/639-2 codes (HL7 v2 PID-15), into the languages we offer."""

from __future__ import annotations

import pytest

from shared.locales import language_of_iso_639, language_of_tag, offered_language


@pytest.mark.parametrize(("tag", "code"), [
    ("cy", "cy"), ("cy-GB", "cy"), ("CY-gb", "cy"), ("pl-PL", "pl"), ("ar", "ar"), ("ar-Arab-EG", "ar"),
    ("ar-SA-u-nu-latn", "ar"),  # with a Unicode extension
    ("en", ""), ("en-GB", ""), ("fr", ""), ("zh-Hant-TW", ""), ("de-DE-1996", ""), ("sgn-BE-FR", ""),
    ("x-private", ""), ("i-klingon", ""), ("en-a-bbb-x-a-ccc", ""), ("cymraeg", ""),
])
def test_a_well_formed_tag_is_the_language_we_offer_or_english(tag, code):
    assert language_of_tag(tag) == code


@pytest.mark.parametrize("tag", ["", " ", "c", "cy_GB", "cy-", "-cy", "cy--GB", "12", "cy GB", "welsh language",
                                 "abcdefghi", "cy-GB-x", "ar-Arab-Arab-EG", "cy\nGB"])
def test_a_malformed_tag_is_none(tag):
    assert language_of_tag(tag) is None


@pytest.mark.parametrize(("code", "language"), [
    ("cy", "cy"), ("WEL", "cy"), ("cym", "cy"), ("pol", "pl"), ("PL", "pl"), ("ara", "ar"), ("ar", "ar"),
    ("cy-GB", "cy"), ("eng", ""), ("en", ""), ("fre", ""), ("", ""), ("??", ""),
])
def test_iso_639_1_and_2_codes_any_case(code, language):
    assert language_of_iso_639(code) == language


def test_a_kept_language_is_empty_for_english_and_what_we_do_not_offer():
    assert [offered_language(c) for c in ("cy", "pl", "ar", "en", "fr", "", None)] == ["cy", "pl", "ar", "", "", "",
                                                                                        ""]
