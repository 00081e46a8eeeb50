"""Alerting for operators: rules in YAML, incidents with flood control, e-mail and webhook."""

from hub.alerts.check import ALERTS_JOB, CheckResult, check_alerts, run_alerts
from hub.alerts.kinds import KINDS, AlertSource, Findings, Kind, KindParams, kind
from hub.alerts.notify import Channel, EmailChannel, Notice, WebhookChannel, channels_for
from hub.alerts.rules import DEFAULT_RULES_FILE, AlertRule, load_alert_rules

__all__ = [
    # Rules
    "DEFAULT_RULES_FILE",
    "AlertRule",
    "load_alert_rules",
    # Kinds
    "KINDS",
    "AlertSource",
    "Findings",
    "Kind",
    "KindParams",
    "kind",
    # Evaluation
    "ALERTS_JOB",
    "CheckResult",
    "check_alerts",
    "run_alerts",
    # Notices
    "Channel",
    "EmailChannel",
    "Notice",
    "WebhookChannel",
    "channels_for",
]
