"""Encryption at rest and key rotation: ``kairan stepup new-key`` and ``rotate-keys``."""

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from kairan_stepup.crypto import InvalidToken, build_cipher, decrypt, encrypt
from kairan_stepup.totp import services
from kairan_stepup.totp.models import TotpDevice
from sqlalchemy import select
from sqlalchemy.orm import Session

from kairan.cli.main import cli
from kairan.settings import SettingsError


class FakeRegistry(dict):
    def __init__(self, keys):
        super().__init__()
        self.settings = {"kairan.stepup.encryption_keys": keys}


def test_the_first_key_encrypts_and_every_key_decrypts():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = encrypt(FakeRegistry([old]), "JBSWY3DPEHPK3PXP")
    both = FakeRegistry([new, old])
    assert decrypt(both, token) == "JBSWY3DPEHPK3PXP"
    fresh = encrypt(both, "JBSWY3DPEHPK3PXP")
    assert decrypt(FakeRegistry([new]), fresh) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidToken):
        decrypt(FakeRegistry([new]), token)


def test_a_malformed_key_fails_without_showing_it():
    with pytest.raises(SettingsError) as error:
        build_cipher([Fernet.generate_key().decode(), "not-a-key-secret-value"])
    assert "key 2" in str(error.value) and "not-a-key-secret-value" not in str(error.value)


def run(ini, *args):
    result = CliRunner().invoke(cli, ["-c", str(ini), *args], catch_exceptions=False,
                                env={"KAIRAN_STEPUP_KEYS": ""})
    assert result.exit_code == 0, result.output
    return result.output


def write_ini(path, settings, keys):
    path.write_text("\n".join([
        "[app:main]", "use = egg:kairan", "kairan.env = testing",
        f"sqlalchemy.url = {settings['sqlalchemy.url']}",
        f"kairan.secret = {settings['kairan.secret']}",
        "kairan.base_url = http://localhost", "kairan.addons = kairan_stepup",
        f"kairan.stepup.encryption_keys = {' '.join(keys)}", ""]), encoding="utf-8")
    return path


def test_new_key_prints_a_fernet_key(tmp_path, kairan_settings, app_config):
    ini = write_ini(tmp_path / "k.ini", kairan_settings, [Fernet.generate_key().decode()])
    key = run(ini, "stepup", "new-key").strip()
    Fernet(key)  # a valid key


def test_rotation_then_removing_the_old_key_still_verifies(
        tmp_path, kairan_settings, engine, dbsession, make_user, clock):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    users = [make_user() for _i in range(3)]
    seeds = {}
    for user in users:
        seeds[user.id] = services.new_seed()
        dbsession.add(TotpDevice(user_id=user.id, nickname="phone",
                                 secret=encrypt(FakeRegistry([old]), seeds[user.id]),
                                 created=services.utcnow(), confirmed=services.utcnow(),
                                 last_step=0))
    dbsession.commit()
    before = {d.id: d.secret for d in dbsession.scalars(select(TotpDevice))}

    output = run(write_ini(tmp_path / "rotate.ini", kairan_settings, [new, old]),
                 "stepup", "rotate-keys")
    assert "re-encrypting 3 stored secrets" in output
    assert "3 secrets re-encrypted" in output

    dbsession.expire_all()
    after = {d.id: d.secret for d in dbsession.scalars(select(TotpDevice))}
    assert all(after[i] != before[i] for i in before)
    only_new = FakeRegistry([new])
    with Session(bind=engine) as session:
        for user in users:
            outcome, _device = services.verify_totp(session, only_new, user.id,
                                                    clock.code(seeds[user.id]))
            assert outcome == services.SUCCESS
        session.commit()
    # the old key alone no longer opens anything
    with pytest.raises(InvalidToken):
        decrypt(FakeRegistry([old]), next(iter(after.values())))
