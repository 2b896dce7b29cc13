"""The HL7 settings: MLLP endpoints as host:port, checked by check-config, read into Settings."""

from __future__ import annotations

import pytest

from booking_web.config_check import check_server_settings
from booking_web.hl7.sender import parse_endpoint
from shared.config import Settings


def test_endpoints_are_host_and_port():
    assert parse_endpoint("lims.example.nhs.uk:2575") == ("lims.example.nhs.uk", 2575)
    assert parse_endpoint("[::1]:2575") == ("::1", 2575)
    for bad in ("", "lims", "lims:", ":2575", "lims:70000", "lims:0", "lims:25x"):
        assert parse_endpoint(bad) is None, bad


def test_check_config_names_a_bad_endpoint_and_timeout(tmp_path):
    said = {p.setting: p.message for p in check_server_settings({
        "PHLEBO_LIMS_MLLP": "lims", "PHLEBO_ORDER_STATUS_MLLP": "127.0.0.1:2576",
        "PHLEBO_HL7_TIMEOUT_SECONDS": "0", "PHLEBO_INSTANCE_DIR": str(tmp_path)})}
    assert "host:port" in said["PHLEBO_LIMS_MLLP"] and "PHLEBO_ORDER_STATUS_MLLP" not in said
    assert "from 1 to 300" in said["PHLEBO_HL7_TIMEOUT_SECONDS"]


def test_settings_read_the_endpoints(tmp_path):
    settings = Settings.from_env({"PHLEBO_LIMS_MLLP": " 10.0.0.5:2575 ", "PHLEBO_HL7_TIMEOUT_SECONDS": "4",
                                  "PHLEBO_INSTANCE_DIR": str(tmp_path)}, secret_key="x")
    assert (settings.lims_mllp, settings.order_status_mllp, settings.hl7_timeout_seconds) == ("10.0.0.5:2575", "", 4.0)


def test_the_specimen_range_is_first_to_last():
    from shared.config import parse_specimen_range

    assert parse_specimen_range("") == (1, 999_999_999)
    assert parse_specimen_range(" 700000000 - 799999999 ") == (700_000_000, 799_999_999)
    for bad in ("700000000", "9-1", "0-5", "1-1000000000", "a-b"):
        with pytest.raises(ValueError, match="FIRST-LAST"):
            parse_specimen_range(bad)
    said = {p.setting: p.message for p in check_server_settings({"PHLEBO_SPECIMEN_RANGE": "9-1"})}
    assert "FIRST-LAST" in said["PHLEBO_SPECIMEN_RANGE"]
