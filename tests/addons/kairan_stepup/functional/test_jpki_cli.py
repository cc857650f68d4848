"""``kairan jpki make-test-ca`` and ``kairan jpki sign``: the whole MyNumber card flow on
one machine, the CLI standing in for J-LIS and for the card-reader app."""
# ruff: noqa: F811 - fixtures from jpki_support are named as test arguments

import pytest
from click.testing import CliRunner

from kairan.cli.main import cli
from kairan.testing import sign_in_directly
from tests.addons.kairan_stepup.jpki_support import (  # noqa: F401 - fixtures
    alert,
    bindings,
    challenge,
)


def ini(tmp_path, kairan_settings, **extra):
    path = tmp_path / "jpki.ini"
    settings = {"sqlalchemy.url": kairan_settings["sqlalchemy.url"],
                "kairan.addons": "kairan_stepup", **extra}
    lines = ["[app:main]", "use = egg:kairan", *(f"{k} = {v}" for k, v in settings.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def kairan(tmp_path, kairan_settings):
    path = ini(tmp_path, kairan_settings, **{"kairan.env": "testing",
                                              "kairan.base_url": "http://localhost"})

    def run(*args, expect=0, config=path):
        result = CliRunner().invoke(cli, ["-c", str(config), *args])
        assert result.exit_code == expect, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def test_make_test_ca_then_sign_then_paste_links_the_card(
        kairan, tmp_path, testapp, dbsession, make_user, registry, monkeypatch):
    output = kairan("jpki", "make-test-ca", str(tmp_path / "ca"))
    ca = tmp_path / "ca"
    assert f"kairan.stepup.jpki.trust_anchors = {ca / 'trust-anchors.pem'}" in output
    for name in ("root.pem", "intermediate.pem", "intermediate.crl", "good.pem", "good.key",
                 "expired.pem", "revoked.pem"):
        assert (ca / name).exists(), name
    assert oct((ca / "good.key").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setitem(registry.settings, "kairan.stepup.jpki.trust_anchors",
                        [str(ca / "trust-anchors.pem")])
    monkeypatch.setitem(registry.settings, "kairan.stepup.jpki.crl_files",
                        [str(ca / "intermediate.crl")])

    user = make_user(email="cli@example.jp", roles=("Member",))
    sign_in_directly(testapp, dbsession, user)
    text = challenge(testapp, "enrol", came_from="/account")
    response = kairan("jpki", "sign", "--key", str(ca / "revoked.key"), "--cert",
                      str(ca / "revoked.pem"), text)
    page = testapp.post_form("/mynumber/card/verify", {"response": response}, status=400)
    assert alert(page).startswith("カードの電子証明書は失効しています")

    text = challenge(testapp, "enrol", came_from="/account")
    response = kairan("jpki", "sign", "--key", str(ca / "good.key"), "--cert",
                      str(ca / "good.pem"), text)
    testapp.post_form("/mynumber/card/verify", {"response": response.strip()}, status=303)
    assert [b.user_id for b in bindings(dbsession)] == [user.id]



def test_sign_refuses_something_that_is_not_a_challenge(kairan, tmp_path):
    kairan("jpki", "make-test-ca", str(tmp_path / "ca"))
    output = kairan("jpki", "sign", "--key", str(tmp_path / "ca" / "good.key"), "--cert",
                    str(tmp_path / "ca" / "good.pem"), "please sign me", expect=1)
    assert "not a Kairan MyNumber sign-in request" in output


def test_the_commands_are_refused_in_production(kairan, tmp_path, kairan_settings):
    production = ini(tmp_path, kairan_settings, **{
        "kairan.env": "production", "kairan.base_url": "https://city.example.jp",
        "sqlalchemy.url": "postgresql+psycopg://kairan@127.0.0.1:1/none",
        "kairan.secret": "x" * 64})
    output = kairan("jpki", "make-test-ca", str(tmp_path / "ca"), expect=1,
                    config=production)
    assert "refused in production" in output
    assert not (tmp_path / "ca").exists()
