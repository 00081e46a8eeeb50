"""Sending incidents' notices: e-mail (the hub's SMTP settings) and a webhook (JSON POST).

A notice is a row written with its incident's opening or resolution. A sender claims
it for ``CLAIM_S`` seconds, sends, and marks it sent; a send that fails leaves it
unsent (attempts and the error recorded) for the next pass. A sender that dies after
sending but before marking lets another send it again after the claim: at least once,
and never again once marked.
"""

import json
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.mail import send_mail
from hub.store import AlertIncident, AlertNotification, claim_notification, unsent_notifications

__all__ = [
    "CLAIM_S",
    "Channel",
    "EmailChannel",
    "Notice",
    "WebhookChannel",
    "channels_for",
    "send_unsent",
]

#: How long a sender holds a notice, in seconds: longer than one SMTP or webhook call.
CLAIM_S = 120.0
#: ``alert_notification.last_error`` is a ``String(1000)`` column.
_MAX_ERROR_CHARS = 1000

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One incident's opening or resolution, as a channel sends it."""

    event: str  # opened | resolved
    incident: AlertIncident

    def subject(self) -> str:
        prefix = "Оповещение" if self.event == "opened" else "Устранено"
        return f"{prefix}: {self.incident.title} ({self.incident.subject})"

    def text(self) -> str:
        incident = self.incident
        lines = [
            f"{self.subject()}",
            "",
            f"Правило: {incident.rule}",
            f"Объект: {incident.subject}",
            f"Состояние: {incident.detail}",
            f"Начало: {incident.started_at:%d.%m.%Y %H:%M:%S} UTC",
        ]
        if incident.resolved_at is not None:
            lines.append(f"Устранено: {incident.resolved_at:%d.%m.%Y %H:%M:%S} UTC")
        lines.append(f"Повторов: {incident.repeats}")
        lines += ["", f"Подробнее: hub alerts list, или панель «Оповещения» (№ {incident.id})."]
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, object]:
        incident = self.incident
        return {
            "event": self.event,
            "id": incident.id,
            "rule": incident.rule,
            "subject": incident.subject,
            "title": incident.title,
            "detail": incident.detail,
            "started_at": incident.started_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "repeats": incident.repeats,
        }


class Channel(Protocol):
    """Where notices go; ``send`` raises on failure (the notice stays unsent)."""

    def send(self, notice: Notice) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    """Plain-text e-mail to ``HUB_ALERT_EMAIL_TO`` over ``HUB_SMTP_*``."""

    settings: Settings
    to: tuple[str, ...]

    def send(self, notice: Notice) -> None:
        send_mail(self.settings, to=self.to, subject=notice.subject(), body=notice.text())


@dataclass(frozen=True)
class WebhookChannel:
    """``POST`` the notice as JSON to ``url``; anything but a 2xx answer is a failure."""

    url: str
    timeout_s: float

    def send(self, notice: Notice) -> None:
        body = json.dumps(notice.as_json(), ensure_ascii=False).encode("utf-8")
        response = httpx.post(
            self.url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=self.timeout_s,
        )
        response.raise_for_status()


def channels_for(settings: Settings) -> dict[str, Channel]:
    """The channels the settings configure: ``email`` (needs SMTP and recipients), ``webhook``."""
    channels: dict[str, Channel] = {}
    recipients = tuple(a.strip() for a in (settings.alert_email_to or "").split(",") if a.strip())
    if settings.smtp_host is not None and recipients:
        channels["email"] = EmailChannel(settings, recipients)
    if settings.alert_webhook_url is not None:
        channels["webhook"] = WebhookChannel(
            settings.alert_webhook_url, settings.alert_webhook_timeout_s
        )
    return channels


def send_unsent(
    session_factory: sessionmaker[Session], channels: Mapping[str, Channel], *, now: datetime
) -> int:
    """Send every unsent notice whose channel is configured; the number sent."""
    with session_factory() as session:
        waiting = [n.id for n in unsent_notifications(session, now=now) if n.channel in channels]
    return sum(
        1
        for notification_id in waiting
        if _send_one(session_factory, channels, notification_id, now=now)
    )


def _send_one(
    session_factory: sessionmaker[Session],
    channels: Mapping[str, Channel],
    notification_id: int,
    *,
    now: datetime,
) -> bool:
    with session_factory.begin() as session:
        if not claim_notification(
            session, notification_id, now=now, until=now + timedelta(seconds=CLAIM_S)
        ):
            return False  # another sender has it
        notification = session.get_one(AlertNotification, notification_id)
        incident = session.get_one(AlertIncident, notification.incident_id)
        session.expunge(incident)
        channel_name, event = notification.channel, notification.event
    try:
        channels[channel_name].send(Notice(event, incident))
    except (OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
        with session_factory.begin() as session:
            notification = session.get_one(AlertNotification, notification_id)
            notification.claimed_until = None
            notification.last_error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
        _log.warning(
            "alert notice not sent (%s), next pass retries",
            channel_name,
            extra={
                "incident_id": incident.id,
                "channel": channel_name,
                "error": type(exc).__name__,
            },
        )
        return False
    with session_factory.begin() as session:
        notification = session.get_one(AlertNotification, notification_id)
        notification.sent_at = now
        notification.last_error = None
    return True
