"""Email through SMTP, with the standard library only.

One connection per message: SMTP_SSL on port 465, else plain SMTP upgraded with STARTTLS
whenever the server offers it; a login when SMTP_USERNAME is set. The message has a text
part and an HTML part made from the same text, and the Message-ID generated here is the
provider id.

SMTP says itself whether to try again: a 4xx reply is temporary (a full mailbox, greylisting,
a server busy) and a 5xx one is final (no such user, authentication failed).
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from backend.channels.base import (
    PROVIDER_ID_MAX_CHARS,
    ChannelNotConfigured,
    PermanentFailure,
    TransientFailure,
    title_of,
)
from backend.config import Settings, get_settings
from backend.enums import Channel
from backend.models import Notification

#: Seconds to wait for the server to connect and to answer each command.
SMTP_TIMEOUT_SECONDS = 10.0
#: The port where SMTP speaks TLS from the first byte (SMTPS) instead of upgrading.
SMTPS_PORT = 465


def missing_settings(settings: Settings | None = None) -> list[str]:
    """The email variables that are not set (empty when email is configured)."""
    settings = settings or get_settings()
    values = {"SMTP_HOST": settings.smtp_host, "FROM_EMAIL": settings.from_email}
    return [name for name, value in values.items() if not value.strip()]


def text_body(notification: Notification) -> str:
    """The plain-text part: the body, and the link on a line of its own when there is one."""
    link = (notification.data or {}).get("link")
    return f"{notification.body}\n\n{link}\n" if link else f"{notification.body}\n"


def html_body(notification: Notification) -> str:
    """The HTML part: the body escaped, blank lines making paragraphs and single line breaks
    kept, then the link when there is one."""
    paragraphs = [part.strip() for part in notification.body.split("\n\n") if part.strip()]
    blocks = [
        "<p>" + "<br>\n".join(html.escape(line) for line in part.splitlines()) + "</p>"
        for part in paragraphs
    ]
    link = (notification.data or {}).get("link")
    if link:
        blocks.append(f'<p><a href="{html.escape(str(link))}">{html.escape(str(link))}</a></p>')
    return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(blocks) + "\n</body></html>\n"


def message_id(from_email: str) -> str:
    """A new Message-ID under the sender's domain, short enough to be kept as the provider
    id: a long domain is cut to its last labels that fit."""
    labels = from_email.rpartition("@")[2].strip().lower().split(".") or ["localhost"]
    for start in range(len(labels)):
        candidate = make_msgid(domain=".".join(labels[start:]) or "localhost")
        if len(candidate) <= PROVIDER_ID_MAX_CHARS:
            return candidate
    return make_msgid(domain="localhost")


def build_message(notification: Notification, settings: Settings | None = None) -> EmailMessage:
    """The email for `notification`: From FROM_EMAIL, To its target, its title as Subject."""
    settings = settings or get_settings()
    message = EmailMessage()
    message["From"] = settings.from_email.strip()
    message["To"] = notification.target
    message["Subject"] = title_of(notification)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(settings.from_email)
    message.set_content(text_body(notification))
    message.add_alternative(html_body(notification), subtype="html")
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    """A connection ready to send: encrypted where the server allows it, logged in if asked."""
    host, port = settings.smtp_host.strip(), settings.smtp_port
    context = ssl.create_default_context()
    if port == SMTPS_PORT:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        smtp.ehlo()
        if port != SMTPS_PORT and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.smtp_username.strip():
            smtp.login(settings.smtp_username.strip(), settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reply_failure(code: int, reply: bytes | str, what: str) -> Exception:
    """Our failure for an SMTP reply: 5xx is final, anything else may pass later."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    if code >= 500:
        return PermanentFailure(f"the mail server refused {what}: {code} {text}")
    return TransientFailure(f"the mail server turned {what} away for now: {code} {text}")


class EmailSender:
    """Sends a notification as an email to its target address."""

    channel = Channel.EMAIL

    def send(self, notification: Notification) -> str:
        """Send it; the Message-ID it was sent with."""
        settings = get_settings()
        missing = missing_settings(settings)
        if missing:
            raise ChannelNotConfigured(
                "Email is not configured, so no email can be sent: set " + ", ".join(missing)
            )
        if not notification.target.strip():
            raise PermanentFailure("the email has no recipient address")
        message = build_message(notification, settings)
        what = f"the email to {notification.target}"
        try:
            smtp = _connect(settings)
            try:
                smtp.send_message(message)
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b"recipient refused"))
            raise _reply_failure(code, reply, what) from exc
        except smtplib.SMTPResponseException as exc:  # sender, data, login or HELO refused
            raise _reply_failure(exc.smtp_code, exc.smtp_error, what) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. no AUTH offered: a setting to fix
            raise PermanentFailure(f"the mail server can't send {what}: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, disconnected
            host = f"{settings.smtp_host}:{settings.smtp_port}"
            raise TransientFailure(
                f"the mail server {host} could not be reached for {what}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return str(message["Message-ID"])
