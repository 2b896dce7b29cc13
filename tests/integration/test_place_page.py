"""The place page shows the nearest 10 places (A to Z's first 10 without a postcode) and "Show
more places" (a plain link, 10 more a press, those shown kept); any place that runs clinics for
the test can be chosen, shown or not. Through the real pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.factories import make_clinic, make_site
from tests.integration.public_pages import get, submit
from tests.integration.test_public_booking import DAY, answer, choose

PLACES = 23


@pytest.fixture
def places(session):  # type: ignore[no-untyped-def]
    """23 places running adult clinics, 1 to 23 ever further north of LS7's middle (their names
    run A to Z the other way), one that runs none and one closed for good."""
    made = []
    for n in range(1, PLACES + 1):
        place = make_site(session, name=f"Place {chr(ord('Z') - n + 1)} {n:02d}",
                          postcode="LS7 3AB", latitude=53.8240 + 0.003 * n, longitude=-1.5300)
        make_clinic(session, site=place, day=DAY, types=("adult",))
        made.append(place)
    without = make_site(session, name="Place Without Clinics", postcode="LS7 3AB")
    make_clinic(session, site=without, day=DAY, types=("inr",))
    gone = make_site(session, name="Place Closed For Good", postcode="LS7 3AB")
    make_clinic(session, site=gone, day=DAY, types=("adult",))
    gone.active = False
    session.add(gone)
    session.commit()
    return made + [without, gone]


def _to_place(client, postcode: str) -> None:  # type: ignore[no-untyped-def]
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test", "/book/postcode")
    answer(client, "/book/postcode", {"postcode": postcode}, "/book/place")


def _names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [" ".join(label.split(" ")[1:3]) for _v, label, _c in page.radios["site_id"]]


def test_the_nearest_ten_then_ten_more_a_press_until_all_are_shown(client, places):
    _to_place(client, "LS7 1AA")
    page = get(client, "/book/place")
    nearest = [f"{chr(ord('Z') - n + 1)} {n:02d}" for n in range(1, PLACES + 1)]
    assert _names(page) == nearest[:10]
    assert page.link("Show more places").endswith("/book/place?places=20#site_id-11")
    page = get(client, "/book/place?places=20")
    assert _names(page) == nearest[:20]  # the first ten kept, in their order
    assert page.link("Show more places").endswith("/book/place?places=30#site_id-21")
    page = get(client, "/book/place?places=30")
    assert _names(page) == nearest
    assert "Show more places" not in page.text


def test_a_to_z_without_a_postcode_the_patient_can_use(client, places):
    _to_place(client, "SW1A 1AA")  # not in the district table: A to Z
    page = get(client, "/book/place")
    a_to_z = sorted(f"{chr(ord('Z') - n + 1)} {n:02d}" for n in range(1, PLACES + 1))
    assert _names(page) == a_to_z[:10]
    assert _names(get(client, "/book/place?places=20")) == a_to_z[:20]


def test_all_places_from_a_to_z_says_it_lists_them_a_page_at_a_time(client, places):
    """The hint above the first 10 of 23 places does not call them all our places."""
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test", "/book/postcode")
    answer(client, "/book/postcode", {"postcode": "", "all": "1"}, "/book/place")
    page = get(client, "/book/place")
    assert "Our places, from A to Z." in page.text
    assert "All our places" not in page.text
    assert len(page.radios["site_id"]) == 10
    assert page.link("Show more places")


@pytest.mark.parametrize("asked,shown", [("abc", 10), ("0", 10), ("-5", 10), ("15", 20),
                                         ("٣٠", 10), ("99999999999", 10), ("999999", 23)])
def test_a_places_number_typed_into_the_address_is_read_safely(client, places, asked, shown):
    _to_place(client, "LS7 1AA")
    assert len(get(client, f"/book/place?places={asked}").radios["site_id"]) == shown


def test_a_place_not_on_the_page_can_be_chosen_but_a_made_up_one_cannot(client, session, places):
    _to_place(client, "LS7 1AA")
    page = get(client, "/book/place")
    furthest, without, gone = places[PLACES - 1:]
    assert str(furthest.id) not in {v for v, _l, _c in page.radios["site_id"]}
    # Chosen from the second page (or a page kept open while places were added): accepted.
    response = submit(client, "/book/place", {"site_id": str(furthest.id)}, page=page)
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/book/date")
    assert f"at {furthest.name}" in get(client, "/book/date").text
    # A made-up place, or one that runs no clinics for the test, gets today's error, on the
    # page as it was (the places shown kept).
    for wrong in ("999999", str(without.id), str(gone.id), "x", ""):
        response = submit(client, "/book/place?places=20", {"site_id": wrong}, page=page)
        assert response.status_code == 400
        again = get(client, "/book/place?places=20")
        assert len(again.radios["site_id"]) == 21  # and the place chosen before
        assert "Select a place for your blood test" in response.get_data(as_text=True)


def test_going_back_to_the_place_page_keeps_a_place_chosen_from_the_second_page(client, places):
    _to_place(client, "LS7 1AA")
    furthest = places[PLACES - 1]
    submit(client, "/book/place", {"site_id": str(furthest.id)})
    page = get(client, "/book/place")
    assert len(page.radios["site_id"]) == 11  # the nearest ten, and the one chosen, checked
    assert page.radios["site_id"][-1][0] == str(furthest.id) and page.radios["site_id"][-1][2]
