"""The alert rules: a YAML file of named rules, each of one kind with its thresholds.

The hub ships ``rules.yaml`` beside this module; ``HUB_ALERT_RULES`` names another.
Each rule has a ``name`` (stable: incidents are keyed by it), a ``kind`` from
``KINDS``, a Russian ``title`` for people and the kind's parameters. A wrong file
stops the hub with its file, line and reason.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.alerts.kinds import KINDS, KindParams
from hub.routing import ConfigInvalid, load_yaml, validated

__all__ = ["DEFAULT_RULES_FILE", "AlertRule", "load_alert_rules"]

#: The rules the hub ships with.
DEFAULT_RULES_FILE = Path(__file__).with_name("rules.yaml")

_Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


@dataclass(frozen=True)
class AlertRule:
    """One rule: what it watches (``kind`` with ``params``) and how people see it (``title``)."""

    name: str
    kind: str
    title: str
    params: KindParams


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: _Name
    kind: str
    title: Annotated[str, Field(min_length=1, max_length=300)]
    params: dict[str, object] = Field(default_factory=dict)


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[_RuleModel]


def load_alert_rules(file: Path | None) -> list[AlertRule]:
    """The rules of ``file`` (the shipped ones when ``None``).

    Raises:
      ConfigInvalid: with the file, the line and the reason (an unknown kind, a
        misspelt or out-of-range parameter, a name used twice…).
    """
    source = load_yaml(file or DEFAULT_RULES_FILE)
    document = validated(source, _FileModel)
    rules: list[AlertRule] = []
    for index, rule in enumerate(document.rules):
        where = ("rules", index)
        if rule.kind not in KINDS:
            known = ", ".join(sorted(KINDS))
            raise ConfigInvalid(
                source.file,
                source.line_of((*where, "kind")),
                f"rules.{index}.kind: unknown kind {rule.kind!r} (known: {known})",
            )
        if any(r.name == rule.name for r in rules):
            raise ConfigInvalid(
                source.file,
                source.line_of((*where, "name")),
                f"rules.{index}.name: {rule.name!r} is used twice",
            )
        try:
            params = KINDS[rule.kind].params.model_validate(rule.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = (*where, "params", *first["loc"])
            raise ConfigInvalid(
                source.file,
                source.line_of(path),
                f"{'.'.join(str(p) for p in path)}: {first['msg']}",
            ) from exc
        rules.append(AlertRule(rule.name, rule.kind, rule.title, params))
    return rules
