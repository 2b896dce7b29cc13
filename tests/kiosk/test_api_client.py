"""The API client over real HTTP against the contract stub: errors, retries, idempotency,
and the print-report outbox."""

from __future__ import annotations

import socket

import pytest

from kiosk_app.api_client import ApiError, KioskApi, ReportOutbox
from tests.kiosk.conftest import DOB, REFERENCE
from tests.kiosk.stub_server import SITE, StubKioskServer

REPORT = {"results": [{"specimen_id": "2611200101", "outcome": "confirmed"}],
          "printer_status": "ok", "detail": "1 of 1 labels printed."}


def make_api(stub: StubKioskServer, tmp_path, key: str | None = None) -> KioskApi:
    return KioskApi(stub.url, key or stub.key, timeout=2.0, pauses=(),
                    outbox_path=tmp_path / "outbox.json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_status_and_identify_send_the_bearer_key(stub, tmp_path):
    api = make_api(stub, tmp_path)
    try:
        assert api.status()["site_name"] == SITE
        identity = api.identify(reference=REFERENCE, date_of_birth=DOB)
        assert identity.masked_name == "J*** S****" and identity.local_time == "10:30"
        assert stub.requests[-1][2] == {"reference": REFERENCE, "date_of_birth": "1957-03-04"}
        by_qr = api.identify(qr=stub.appointments[REFERENCE].qr, date_of_birth=DOB)
        assert by_qr.reference == REFERENCE
    finally:
        api.close()


def test_wrong_key_is_an_api_error(stub, tmp_path):
    api = make_api(stub, tmp_path, key="wrong")
    try:
        with pytest.raises(ApiError) as caught:
            api.status()
        assert caught.value.code == "unauthorised" and caught.value.status == 401
    finally:
        api.close()


@pytest.mark.parametrize("problem, extra, status", [
    ("too_early", {"checkin_opens_at": "09:30"}, 409),
    ("already_checked_in", {"queue_number": 3, "labels_outstanding": True}, 409),
    ("cancelled", {}, 409), ("wrong_site", {}, 409), ("wrong_day", {}, 409),
    ("too_late", {}, 409), ("rate_limited", {}, 429),
])
def test_contract_errors_keep_their_code_and_extra_fields(stub, tmp_path, problem, extra,
                                                           status):
    stub.add("KMNPQRSTW", "1990-01-01", problem=problem, problem_extra=extra)
    api = make_api(stub, tmp_path)
    try:
        with pytest.raises(ApiError) as caught:
            api.identify(reference="KMNPQRSTW", date_of_birth=DOB.replace(year=1990, month=1,
                                                                           day=1))
        assert (caught.value.code, caught.value.status) == (problem, status)
        assert caught.value.extra == extra
    finally:
        api.close()


def test_unknown_reference_and_wrong_birth_date_are_the_same_error(stub, tmp_path):
    api = make_api(stub, tmp_path)
    try:
        errors = []
        for ref, dob in ((REFERENCE, DOB.replace(day=5)), ("ZZZZZZZZZ", DOB)):
            with pytest.raises(ApiError) as caught:
                api.identify(reference=ref, date_of_birth=dob)
            errors.append((caught.value.code, caught.value.status, caught.value.message))
        assert errors[0] == errors[1] == ("not_found", 404, errors[0][2])
        with pytest.raises(ApiError) as caught:
            api.identify(qr="not-a-real-qr", date_of_birth=DOB)
        assert caught.value.code == "invalid_qr"
    finally:
        api.close()


def test_no_server_is_unreachable_after_bounded_tries(tmp_path):
    api = KioskApi(f"http://127.0.0.1:{free_port()}", "k", timeout=0.5, pauses=())
    try:
        with pytest.raises(ApiError) as caught:
            api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="r1")
        assert caught.value.code == "unreachable"
    finally:
        api.close()


def test_lost_checkin_response_is_retried_with_the_same_request_id(stub, tmp_path):
    stub.drop_checkin_responses = 1  # the server checks in, but the answer never arrives
    api = make_api(stub, tmp_path)
    try:
        result = api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="req-abc")
    finally:
        api.close()
    checkins = [body for _, path, body in stub.requests if path.endswith("/checkin")]
    assert [b["request_id"] for b in checkins] == ["req-abc", "req-abc"]
    assert result.queue_number == 1 and len(result.labels) == 2
    assert stub.appointments[REFERENCE].queue_number == 1  # checked in once


def test_retry_after_labels_printed_returns_the_same_number_and_no_labels(stub, tmp_path):
    api = make_api(stub, tmp_path)
    try:
        first = api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="req-1")
        assert api.report_print(first.print_job_id, REPORT) == "printed"
        again = api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="req-1")
        assert (again.queue_number, again.labels, again.print_job_status) == (
            first.queue_number, (), "printed")
        with pytest.raises(ApiError) as caught:  # a new attempt is a second check-in
            api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="req-2")
        assert caught.value.code == "already_checked_in"
        assert caught.value.extra["queue_number"] == first.queue_number
    finally:
        api.close()


def test_a_failed_print_report_is_kept_and_sent_later(stub, tmp_path):
    api = make_api(stub, tmp_path)
    try:
        job = api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="r").print_job_id
        stub.fail_reports = 1
        assert api.report_print(job, REPORT) is None
        assert api.pending_reports() == 1 and stub.reports == []
        assert api.flush_outbox() == 1
        assert stub.reports == [(job, REPORT)] and api.pending_reports() == 0
    finally:
        api.close()


def test_reports_survive_a_restart_and_go_first(stub, tmp_path):
    outbox = ReportOutbox(tmp_path / "outbox.json")
    outbox.add(999, REPORT)  # left over from before a restart; the server no longer knows it
    outbox.add(101, REPORT)
    api = make_api(stub, tmp_path)
    try:
        job = api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="r").print_job_id
        assert job == 101
        assert api.report_print(job, REPORT) == "printed"
    finally:
        api.close()
    posted = [p for p in stub.paths() if "print-jobs" in p]
    assert posted == ["/api/v1/kiosk/print-jobs/999", "/api/v1/kiosk/print-jobs/101",
                      "/api/v1/kiosk/print-jobs/101"]
    assert outbox.items() == []


def test_a_print_report_sent_again_carries_the_same_idempotency_key(stub, tmp_path):
    """From the outbox (or the journal after a restart) a report is the same request: the same
    key, so the server answers it from the first; another report of the job has its own key."""
    api = make_api(stub, tmp_path)
    try:
        job = api.checkin(reference=REFERENCE, date_of_birth=DOB, request_id="r").print_job_id
        stub.fail_reports = 1
        assert api.report_print(job, REPORT) is None  # kept in the outbox
        assert api.flush_outbox() == 1
        other = {**REPORT, "printer_status": "fault", "detail": "0 of 1 labels printed."}
        api.report_print(job, other)
    finally:
        api.close()
    keys = [key for path, key in stub.keys if "print-jobs" in path]
    assert len(keys) == 3 and all(keys)
    assert keys[0] == keys[1] != keys[2]


def test_not_me_sends_an_idempotency_key_and_the_same_one_on_its_retry(stub, tmp_path):
    api = KioskApi(stub.url, stub.key, timeout=2.0, pauses=())
    try:
        stub.drop_not_me_responses = 1  # recorded, and the answer lost: sent again
        api.report_not_me(reference=REFERENCE, date_of_birth=DOB)
        api.report_not_me(reference=REFERENCE, date_of_birth=DOB)  # the patient, again
    finally:
        api.close()
    keys = [key for path, key in stub.keys if path.endswith("/not-me")]
    assert len(keys) == 3 and all(keys)
    assert keys[0] == keys[1] != keys[2]


def test_report_with_no_server_is_queued_not_raised(tmp_path):
    api = KioskApi(f"http://127.0.0.1:{free_port()}", "k", timeout=0.5, pauses=(),
                   outbox_path=tmp_path / "outbox.json")
    try:
        assert api.report_print(5, REPORT) is None
        assert ReportOutbox(tmp_path / "outbox.json").items() == [{"job_id": 5,
                                                                   "report": REPORT}]
    finally:
        api.close()


def test_a_corrupt_outbox_file_is_set_aside(tmp_path):
    path = tmp_path / "outbox.json"
    path.write_text("{not json")
    outbox = ReportOutbox(path)
    assert outbox.items() == []
    assert (tmp_path / "outbox.corrupt").exists()
