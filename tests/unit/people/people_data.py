"""What the people tests share: the clock and the curator's password."""

from datetime import UTC, datetime

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSWORD = "верный-пароль-2026"
