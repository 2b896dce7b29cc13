"""The kiosk's print journal on its own: what it reports for each way a job can stop."""

from __future__ import annotations

import datetime as dt

from hardware_sim import VirtualPrinter
from hardware_sim.backend import SimTransport
from kiosk_app.journal import PrintJournal
from label_printer import EscPos, LabelData, StreamPrinter


def label(n: int) -> LabelData:
    return LabelData(family_name="Jones", given_name="Ceri", date_of_birth=dt.date(1961, 7, 9),
                     nhs_number="9434765919", specimen_id=f"26112300{n:02d}", container="EDTA",
                     tests=("FBC",), site_name="Riverside", sequence=(n, 3))


def outcomes(journal: PrintJournal) -> dict[int, list[str]]:
    return {job: [r["outcome"] for r in body["results"]] for job, body in journal.unreported()}


def test_the_print_loop_writes_each_label_before_and_after_it_goes(tmp_path):
    journal = PrintJournal(tmp_path / "journal.jsonl")
    printer = VirtualPrinter(tmp_path / "labels")
    printer.set_paper_out(2)  # the third label is lost: sent, never confirmed
    labels = [label(1), label(2), label(3)]
    journal.begin(7, [x.specimen_id for x in labels])
    outcome = StreamPrinter(lambda: SimTransport(printer), EscPos(), name="sim").print_labels(
        labels, observer=journal.observer(7))
    assert [r.state for r in outcome.results] == ["confirmed", "confirmed", "unconfirmed"]
    assert outcomes(journal) == {7: ["confirmed", "confirmed", "unconfirmed"]}
    [(_, body)] = journal.unreported()
    assert body["printer_status"] == "unknown" and "2 of 3 labels printed" in body["detail"]
    assert "1 may have printed (check the printer before reprinting)" in body["detail"]


def test_a_label_being_sent_when_the_kiosk_stopped_is_unknown_and_the_rest_not_sent(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = PrintJournal(path)
    journal.begin(3, ["2611230001", "2611230002", "2611230003"])
    journal.observer(3).sending(label(1))
    journal.observer(3).settled(label(1), "confirmed")
    journal.observer(3).sending(label(2))
    with path.open("a") as torn:  # the kiosk died writing its next line
        torn.write('{"job": 3, "event": "sett')
    assert outcomes(journal) == {3: ["confirmed", "unconfirmed", "not_sent"]}


def test_reported_jobs_are_not_reported_again_and_the_file_is_emptied(tmp_path):
    journal = PrintJournal(tmp_path / "journal.jsonl")
    journal.begin(1, ["2611230001"])
    journal.begin(2, ["2611230002"])
    journal.reported(1)
    assert outcomes(journal) == {2: ["not_sent"]}
    journal.forget_reported()
    assert journal.path.read_text() != ""  # job 2 is still to be told
    journal.reported(2)
    journal.forget_reported()
    assert journal.path.read_text() == "" and journal.unreported() == []


def test_the_kiosk_window_reports_what_its_journal_knew_when_it_starts(qtbot, config, stub,
                                                                       sim_printer, tmp_path):
    from dataclasses import replace

    from kiosk_app.api_client import KioskApi
    from kiosk_app.app import bootstrap
    from kiosk_app.effects import Services
    from kiosk_app.printing import printer_factory

    stub.jobs[101] = {"status": "pending"}  # the job the kiosk was printing when it died
    journal = PrintJournal(tmp_path / "journal.jsonl")
    journal.begin(101, ["2611230001", "2611230002"])
    journal.observer(101).sending(label(1))
    journal.observer(101).settled(label(1), "confirmed")
    journal.observer(101).sending(label(2))
    api = KioskApi(config.server_url, config.kiosk_key, timeout=2.0,
                   outbox_path=config.outbox_path, pauses=())
    services = Services(api=api, printer=printer_factory(config.printer_uri, timeout=2.0),
                        journal=journal)
    kiosk = bootstrap(replace(config), services=services)
    try:
        qtbot.waitUntil(lambda: bool(stub.reports), timeout=5000)
        job, report = stub.reports[0]
        assert job == 101 and [r["outcome"] for r in report["results"]] == [
            "confirmed", "unconfirmed"]
        assert report["printer_status"] == "unknown"
        qtbot.waitUntil(lambda: journal.path.read_text() == "", timeout=5000)
    finally:
        kiosk.close()
