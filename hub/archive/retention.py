"""How long each message type's bodies stay in the log before ``hub archive`` may move them.

The rules are a ``retention:`` section in a YAML file (the packaged ``retention.yaml`` unless
``HUB_RETENTION_RULES`` names another): a default in days and a number per message type. A
type the schema registry does not know is refused with its line, like a misspelt route.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from hub.routing import ConfigInvalid, load_yaml, validated
from schemas import known_schemas

__all__ = ["Retention", "default_retention_file", "load_retention"]


@dataclass(frozen=True)
class Retention:
    """Days a body is kept, by message type; ``default_days`` for the rest and for rejections."""

    default_days: int
    by_type: dict[str, int] = field(default_factory=dict)

    def days_for(self, message_type: str) -> int:
        return self.by_type.get(message_type, self.default_days)

    def cutoff(self, message_type: str, *, now: datetime) -> datetime:
        """Bodies of ``message_type`` received before this instant are past their retention."""
        return now - timedelta(days=self.days_for(message_type))

    def default_cutoff(self, *, now: datetime) -> datetime:
        """Types not named, and rejections, received before this are past their retention."""
        return now - timedelta(days=self.default_days)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_days: int = Field(ge=0)
    message_types: dict[str, int] = Field(default_factory=dict)


class _File(BaseModel):
    model_config = ConfigDict(extra="allow")  # the section may share a file with other rules

    retention: _Section


def default_retention_file() -> Path:
    """The retention rules shipped with the hub."""
    return Path(str(files("hub.archive").joinpath("retention.yaml")))


def load_retention(file: Path | None = None) -> Retention:
    """Load and check the ``retention:`` section (the packaged file when ``file`` is None).

    Raises:
        ConfigInvalid: with file, line and reason (a negative number, an unknown type).
    """
    source = load_yaml(file or default_retention_file())
    section = validated(source, _File).retention
    known = {message_type for message_type, _ in known_schemas()}
    for name, days in section.message_types.items():
        path = ("retention", "message_types", name)
        if name not in known:
            raise ConfigInvalid(source.file, source.line_of(path), f"unknown message type {name}")
        if days < 0:
            raise ConfigInvalid(source.file, source.line_of(path), f"{name}: days must be >= 0")
    return Retention(section.default_days, dict(section.message_types))
