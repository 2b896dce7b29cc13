"""`phlebo kiosk checkin`: the same flow with no screen, real HTTP to the stub and printing
to the simulated printer (in-process sim:// and over TCP), labels decoded from the images."""

from __future__ import annotations

import json

import pytest
import zxingcpp
from PIL import Image

from hardware_sim import SimPrinterServer, VirtualPrinter
from kiosk_app import cli
from kiosk_app.effects import Services
from kiosk_app.headless import ALREADY, NOT_FOUND, NOT_NOW, OK, UNAVAILABLE, USAGE, run_checkin
from kiosk_app.models import label_from_json
from kiosk_app.printing import printer_factory
from tests.kiosk.conftest import DOB, REFERENCE, TODAY


def checkin(services, reference=REFERENCE, dob=DOB):
    lines: list[str] = []
    code = run_checkin(services, reference=reference, date_of_birth=dob, out=lines.append,
                       today=lambda: TODAY)
    return code, "\n".join(lines)


def test_checks_in_prints_labels_and_reports_them(stub, services, labels_dir):
    code, out = checkin(services, reference="abc-def-ghj")
    assert code == OK
    assert "Found: J*** S****" in out and "Queue number 1" in out and "Labels printed (2)" in out
    decoded = sorted(zxingcpp.read_barcodes(Image.open(p))[0].text
                     for p in labels_dir.glob("*.png"))
    assert decoded == ["2611200101", "2611200102"]
    job, report = stub.reports[0]
    assert report["printer_status"] == "ok"
    assert [r["outcome"] for r in report["results"]] == ["confirmed", "confirmed"]
    assert stub.jobs[job]["status"] == "printed"


def test_transfusion_tests_are_hand_labelled_not_printed(stub, services, labels_dir):
    stub.add("KMNPQRSTW", "1990-01-01", tubes=(("EDTA", ("FBC",)),),
             hand_label=("Group and save",))
    code, out = checkin(services, "KMNPQRSTW", DOB.replace(1990, 1, 1))
    assert code == OK and "Hand-label at the chair: Group and save" in out
    assert len(list(labels_dir.glob("*.png"))) == 1


def test_paper_out_still_checks_in_and_tells_reception(stub, services, sim_printer):
    sim_printer.set_paper_out(0)
    code, out = checkin(services)
    assert code == OK  # checked in: the labels are for reception to sort out
    assert "Your labels did not print" in out and "Queue number 1" in out
    report = stub.reports[0][1]
    assert report["printer_status"] == "fault"
    assert {r["outcome"] for r in report["results"]} <= {"unconfirmed", "not_sent"}


def test_printing_over_tcp_to_the_simulator(stub, services, tmp_path):
    printer = VirtualPrinter(tmp_path / "tcp-labels")
    with SimPrinterServer(printer) as sim:
        tcp = Services(api=services.api, printer=printer_factory(sim.uri, timeout=2.0))
        code, out = checkin(tcp)
    assert code == OK and "Labels printed (2)" in out
    texts = [json.loads(p.read_text())["texts"] for p in sorted(printer.out_dir.glob("0*.json"))]
    assert len(texts) == 2


def test_a_label_the_kiosk_cannot_read_prints_nothing_and_is_reported(stub, services,
                                                                      labels_dir):
    stub.label_overrides = {"date_of_birth": "04/03/1957"}
    code, out = checkin(services)
    assert code == OK and "Queue number 1" in out and "Your labels did not print" in out
    job, report = stub.reports[0]
    assert report["printer_status"] == "fault" and "cannot print" in report["detail"]
    assert [r["outcome"] for r in report["results"]] == ["not_sent", "not_sent"]
    assert [r["specimen_id"] for r in report["results"]] == ["2611200101", "2611200102"]
    assert stub.jobs[job]["status"] == "failed" and not list(labels_dir.glob("*.png"))


def test_no_printer_configured_is_a_printer_fault(stub, services):
    code, out = checkin(Services(api=services.api, printer=printer_factory("", timeout=1)))
    assert code == OK and "speak to reception about your labels" in out
    assert stub.reports[0][1]["printer_status"] == "fault"


@pytest.mark.parametrize("problem, expected", [("too_early", NOT_NOW), ("cancelled", NOT_NOW),
                                               ("wrong_day", NOT_NOW), ("wrong_site", NOT_NOW)])
def test_problems_exit_non_zero_with_plain_words(stub, services, problem, expected):
    stub.appointments[REFERENCE].problem = problem
    stub.appointments[REFERENCE].problem_extra = {"checkin_opens_at": "09:30"}
    code, out = checkin(services)
    assert code == expected and "reception" in out


def test_not_found_already_checked_in_and_bad_input(stub, services):
    assert checkin(services, dob=DOB.replace(day=5))[0] == NOT_FOUND
    assert checkin(services)[0] == OK
    code, out = checkin(services)
    assert code == ALREADY and "Queue number 1" in out
    code, out = checkin(services, reference="ABC")
    assert code == USAGE and "9 letters and numbers" in out


def test_cli_reads_config_from_the_environment(stub, monkeypatch, labels_dir, sim_printer,
                                               tmp_path, capsys):
    monkeypatch.setenv("PHLEBO_SERVER_URL", stub.url)
    monkeypatch.setenv("PHLEBO_KIOSK_KEY", stub.key)
    monkeypatch.setenv("PHLEBO_PRINTER", f"sim://{labels_dir}")
    monkeypatch.setenv("PHLEBO_KIOSK_OUTBOX", str(tmp_path / "outbox.json"))
    code = cli.main(["checkin", "--reference", "ABC-DEF-GHJ", "--date-of-birth", "1957-03-04"])
    assert code == OK and "Queue number 1" in capsys.readouterr().out
    monkeypatch.setenv("PHLEBO_SERVER_URL", "http://127.0.0.1:9")  # nothing listens there
    code = cli.main(["checkin", "--reference", "ABC-DEF-GHJ", "--date-of-birth", "1957-03-04"])
    assert code == UNAVAILABLE and "not working" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["checkin", "--reference", "X", "--date-of-birth", "4/3/57"])


def test_label_json_becomes_label_data():
    data = label_from_json({"specimen_id": "2611200101", "family_name": "SMITH", "given_name": "Jo",
                       "date_of_birth": "1957-03-04", "nhs_number": "9434765919",
                       "container": "EDTA", "tests": ["FBC"], "site_name": "R",
                       "request_number": None, "reprint": True, "sequence": [1, 2]})
    assert data.date_of_birth == DOB and data.sequence == (1, 2) and data.reprint
