"""Plain-text e-mail over the hub's SMTP settings (``HUB_SMTP_*``): the daily summary and alerts.

A send either hands the message to the server or raises ``OSError`` or
``smtplib.SMTPException``; callers keep what they could not send and try again later.
"""

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from hub.config import Settings

__all__ = ["SMTP_TIMEOUT_S", "send_mail"]

#: Seconds to wait for the SMTP server before a send counts as failed.
SMTP_TIMEOUT_S = 30.0


def send_mail(settings: Settings, *, to: Sequence[str], subject: str, body: str) -> None:
    """Send one message from ``HUB_SMTP_FROM`` to ``to``.

    Raises:
      RuntimeError: ``HUB_SMTP_HOST`` is not set (callers send only when it is).
      OSError, smtplib.SMTPException: the server could not be reached or refused it.
    """
    if settings.smtp_host is None:
        raise RuntimeError("send_mail needs HUB_SMTP_HOST")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username is not None:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
