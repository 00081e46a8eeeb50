"""Routing rules: which partner may send each message type and who receives it.

Loaded from YAML once at start and validated there: a bad file stops the hub with
the file, the line and the reason, as dramatiq refuses bad actor options at
declaration rather than at the first message.
"""

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from hub.routing.yamlsource import ConfigInvalid, load_yaml

#: A recipient that stands for the sender of the message named by CorrelationId.
CORRELATED_SENDER = "$correlated_sender"

_CODE = r"[a-z][a-z0-9_-]{1,31}"
SystemCode = Annotated[str, StringConstraints(pattern=f"^{_CODE}$")]
RecipientToken = Annotated[
    str, StringConstraints(pattern=f"^({_CODE}|{re.escape(CORRELATED_SENDER)})$")
]


class _Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    senders: list[SystemCode] = Field(min_length=1)
    recipients: list[RecipientToken] = Field(min_length=1)
    allowed_recipients: list[RecipientToken] | None = None


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1)
    message_types: dict[
        Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z]{1,63}$")], _Route
    ] = Field(min_length=1)


@dataclass(frozen=True)
class Route:
    """The rule for one message type."""

    message_type: str
    senders: frozenset[str]
    recipients: tuple[str, ...]
    allowed_recipients: frozenset[str]

    @property
    def needs_correlated_sender(self) -> bool:
        return CORRELATED_SENDER in self.recipients or CORRELATED_SENDER in self.allowed_recipients


@dataclass(frozen=True)
class RoutingRules:
    """All routes, by message type."""

    routes: dict[str, Route]

    def route_for(self, message_type: str) -> Route | None:
        return self.routes.get(message_type)


def default_rules_file() -> Path:
    """The rules shipped with the hub."""
    return Path(str(files("hub.routing").joinpath("rules.yaml")))


def load_rules(file: Path | None = None) -> RoutingRules:
    """Load and validate routing rules (the packaged default when ``file`` is None).

    Raises:
        ConfigInvalid: with file, line and reason.
    """
    source = load_yaml(file or default_rules_file())
    try:
        parsed = _RulesFile.model_validate(source.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = tuple(first["loc"])
        where = ".".join(str(part) for part in path) or "document"
        raise ConfigInvalid(source.file, source.line_of(path), f"{where}: {first['msg']}") from exc
    return RoutingRules(
        routes={
            name: Route(
                message_type=name,
                senders=frozenset(route.senders),
                recipients=tuple(route.recipients),
                allowed_recipients=frozenset(route.allowed_recipients or route.recipients),
            )
            for name, route in parsed.message_types.items()
        }
    )
