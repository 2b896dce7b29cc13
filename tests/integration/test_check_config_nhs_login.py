"""`phlebo check-config` on the NHS login settings: all three or none, an https issuer outside
this machine, a client id, and a private key file that is an RSA private key kept private."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from booking_web.config_check import check_server_settings
from tests.integration.test_check_config import phlebo, production


def _pem(path: Path, key: object, mode: int = 0o600) -> Path:
    path.write_bytes(key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    path.chmod(mode)
    return path


def _nhs_login(tmp_path: Path, **overrides: str) -> dict[str, str]:
    key = _pem(tmp_path / "nhslogin.pem", rsa.generate_private_key(65537, 2048))
    values = {"PHLEBO_NHSLOGIN_ISSUER": "https://auth.sandpit.signin.nhs.uk",
              "PHLEBO_NHSLOGIN_CLIENT_ID": "bloodtests-example",
              "PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE": str(key)}
    values.update(overrides)
    return production(tmp_path, **values)


def _said(env: dict[str, str]) -> dict[str, str]:
    return {p.setting: p.message for p in check_server_settings(env)}


def test_good_nhs_login_settings_pass(tmp_path):
    assert check_server_settings(_nhs_login(tmp_path)) == []


def test_all_three_settings_or_none(tmp_path):
    said = _said(_nhs_login(tmp_path, PHLEBO_NHSLOGIN_CLIENT_ID=""))
    assert "is not set, but the other NHS login settings are" in said["PHLEBO_NHSLOGIN_CLIENT_ID"]
    assert _said(production(tmp_path)) == {}  # none: NHS login is off


def test_an_issuer_must_be_https_unless_on_this_machine(tmp_path):
    said = _said(_nhs_login(tmp_path, PHLEBO_NHSLOGIN_ISSUER="http://auth.example.nhs.uk"))
    assert "use https://" in said["PHLEBO_NHSLOGIN_ISSUER"]
    assert "PHLEBO_NHSLOGIN_ISSUER" not in _said(
        _nhs_login(tmp_path, PHLEBO_NHSLOGIN_ISSUER="http://127.0.0.1:9180"))
    assert "not a web address" in _said(_nhs_login(tmp_path, PHLEBO_NHSLOGIN_ISSUER="auth"))[
        "PHLEBO_NHSLOGIN_ISSUER"]


def test_a_client_id_with_spaces_is_refused(tmp_path):
    said = _said(_nhs_login(tmp_path, PHLEBO_NHSLOGIN_CLIENT_ID="blood tests"))
    assert "is not a client id" in said["PHLEBO_NHSLOGIN_CLIENT_ID"]


def test_the_private_key_file_is_checked(tmp_path):
    name = "PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE"
    missing = _said(_nhs_login(tmp_path, **{name: str(tmp_path / "nowhere.pem")}))
    assert "cannot be read" in missing[name]
    (tmp_path / "public.pem").write_bytes(rsa.generate_private_key(65537, 2048).public_key()
                                          .public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    assert "not an unencrypted private key" in _said(
        _nhs_login(tmp_path, **{name: str(tmp_path / "public.pem")}))[name]
    ec_key = _pem(tmp_path / "ec.pem", ec.generate_private_key(ec.SECP256R1()))
    assert "not RSA" in _said(_nhs_login(tmp_path, **{name: str(ec_key)}))[name]
    small = _pem(tmp_path / "small.pem", rsa.generate_private_key(65537, 1024))
    assert "1024-bit" in _said(_nhs_login(tmp_path, **{name: str(small)}))[name]
    shared = _pem(tmp_path / "shared.pem", rsa.generate_private_key(65537, 2048), mode=0o644)
    [problem] = [p for p in check_server_settings(_nhs_login(tmp_path, **{name: str(shared)}))]
    assert problem.warning and "chmod 600" in problem.message


def test_check_config_command_names_the_problem(tmp_path):
    env = _nhs_login(tmp_path, PHLEBO_NHSLOGIN_ISSUER="http://auth.example.nhs.uk")
    done = phlebo(env, "check-config")
    assert done.returncode == 1
    assert "PHLEBO_NHSLOGIN_ISSUER" in done.stdout + done.stderr
