"""Queueing mail in the outbox and delivering it outside any request."""

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import select

from kairan.db.meta import utcnow
from kairan.mail.models import OutboxMessage

log = logging.getLogger(__name__)


def queue_mail(request_or_dbsession, recipient, subject, body):
    """Add a message to the outbox in the current transaction; nothing is sent now."""
    dbsession = getattr(request_or_dbsession, "dbsession", request_or_dbsession)
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, created=utcnow())
    dbsession.add(message)
    return message


class MailConfigurationError(RuntimeError):
    """Mail cannot be sent with these settings; the message says which one to set."""


class LogMailer:
    """Development: prints each message to the log instead of sending it."""

    def send(self, sender, message):
        log.info("mail to %s: %s\n%s", message.recipient, message.subject, message.body)


class SMTPMailer:
    def __init__(self, host, port, user="", password=""):
        self.host, self.port, self.user, self.password = host, port, user, password

    def send(self, sender, message):
        email = EmailMessage()
        email["From"] = sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(email)


def mailer_from_settings(settings):
    """SMTP when a host is set; otherwise the log, which development alone may use.

    The log mailer prints whole messages, verification and reset links
    included, so a production site without an SMTP host refuses to send.
    """
    if settings["kairan.production"] and not settings["kairan.mail.smtp_host"]:
        raise MailConfigurationError(
            "production has no SMTP host: set kairan.mail.smtp_host or KAIRAN_SMTP_HOST"
        )
    if settings["kairan.mail.smtp_host"]:
        return SMTPMailer(
            settings["kairan.mail.smtp_host"],
            settings["kairan.mail.smtp_port"],
            settings["kairan.mail.smtp_user"],
            settings["kairan.mail.smtp_password"],
        )
    return LogMailer()


def send_pending(dbsession, settings, mailer=None, limit=500, max_attempts=5):
    """Send up to ``limit`` unsent messages; returns (sent, failed).

    Each message is marked sent (or its error recorded) as it goes; the
    caller commits. Rows are locked where the database can, so two senders
    never deliver one message twice.
    """
    mailer = mailer or mailer_from_settings(settings)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < max_attempts)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    sent = failed = 0
    for message in dbsession.scalars(query):
        message.attempts += 1
        try:
            mailer.send(settings["kairan.mail.sender"], message)
        except (OSError, smtplib.SMTPException) as e:
            message.last_error = str(e)[:1000]
            failed += 1
        else:
            message.sent_at = utcnow()
            sent += 1
    return sent, failed
