import pytest

from kairan.mail.models import OutboxMessage
from kairan.mail.services import (
    LogMailer,
    MailConfigurationError,
    SMTPMailer,
    mailer_from_settings,
)
from kairan.settings import load_settings


def settings(**kw):
    return load_settings({"sqlalchemy.url": "sqlite://", **kw}, environ={})


def test_development_without_smtp_prints_to_the_log(caplog):
    mailer = mailer_from_settings(settings())
    assert isinstance(mailer, LogMailer)
    caplog.set_level("INFO", logger="kairan.mail.services")
    mailer.send("noreply@example.jp", OutboxMessage(recipient="a@example.jp", subject="件名",
                                                     body="本文"))
    assert "a@example.jp" in caplog.text and "件名" in caplog.text


def test_an_smtp_host_selects_smtp():
    mailer = mailer_from_settings(settings(**{"kairan.mail.smtp_host": "mail.example.jp"}))
    assert isinstance(mailer, SMTPMailer)
    assert mailer.host == "mail.example.jp" and mailer.port == 587


def test_production_without_smtp_refuses_rather_than_logging_links():
    production = settings(**{
        "kairan.env": "production",
        "sqlalchemy.url": "postgresql+psycopg://db/kairan",
        "kairan.secret": "x" * 40,
        "kairan.base_url": "https://city.example.jp",
    })
    with pytest.raises(MailConfigurationError, match="SMTP"):
        mailer_from_settings(production)
