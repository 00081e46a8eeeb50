"""Routing rules: who may send each message type, who receives it, and who may see what.

Loaded from YAML once at start and validated there: a bad file stops the hub with
the file, the line and the reason, as dramatiq refuses bad actor options at
declaration rather than at the first message.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hub.routing.consent import ConsentRules
from hub.routing.delivery_deadlines import DeliveryDeadlines, DeliveryDeadlinesSection
from hub.routing.yamlsource import ConfigInvalid, YamlPath, YamlSource, load_yaml, validated

#: Tokens resolved per message (see rules.yaml for what each means).
CORRELATED_SENDER = "$correlated_sender"
CASE_REFERRER = "$case_referrer"
CASE_PARTICIPANTS = "$case_participants"
PLAN_EXECUTORS = "$plan_executors"
DECISION_BODY = "$decision_body"
_TOKENS = frozenset(
    {CORRELATED_SENDER, CASE_REFERRER, CASE_PARTICIPANTS, PLAN_EXECUTORS, DECISION_BODY}
)
#: The message types that name a plan's executors (their actions' responsible agencies).
_PLAN_EXECUTOR_TYPES = frozenset({"SupportPlan", "ActionAssignment"})

#: Classes the hub may remove from a copy; identity always goes.
STRIPPABLE_CLASSES = frozenset({"health", "conduct", "social"})

_CODE = r"[a-z][a-z0-9_-]{1,31}"
SystemCode = Annotated[str, StringConstraints(pattern=f"^{_CODE}$")]
RecipientToken = Annotated[
    str,
    StringConstraints(
        pattern=rf"^({_CODE}|{'|'.join(re.escape(token) for token in sorted(_TOKENS))})$"
    ),
]
Category = Literal["sop", "tjs"]
SensitivityClass = Literal["health", "conduct", "social"]
ConsentScope = Literal["support", "data_processing", "data_exchange", "medical"]
_EXCHANGE: ConsentScope = "data_exchange"


class _Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    senders: list[SystemCode] = Field(min_length=1)
    recipients: list[RecipientToken]
    allowed_recipients: list[RecipientToken] | None = None
    when_category: dict[Category, list[RecipientToken]] = {}


class _Consent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    needs: dict[SensitivityClass, list[ConsentScope]] = {}
    without_consent: dict[SystemCode, list[SensitivityClass]] = {}


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1)
    visibility: dict[SystemCode, list[SensitivityClass]] = {}
    consent: _Consent = _Consent()
    delivery_deadlines: DeliveryDeadlinesSection = DeliveryDeadlinesSection()
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
    when_category: dict[str, tuple[str, ...]]

    @property
    def tokens(self) -> frozenset[str]:
        """Every recipient token the route may need resolved for a message."""
        extra = {code for codes in self.when_category.values() for code in codes}
        return frozenset({*self.recipients, *self.allowed_recipients, *extra})


@dataclass(frozen=True)
class RoutingRules:
    """All routes, by message type, and what each partner may see."""

    routes: dict[str, Route]
    visibility: dict[str, frozenset[str]]
    consent: ConsentRules
    delivery_deadlines: DeliveryDeadlines

    @property
    def partners(self) -> frozenset[str]:
        """Every partner code the rules name: as a sender, a recipient or in visibility."""
        named = {*self.visibility}
        for route in self.routes.values():
            named |= route.senders | {code for code in route.tokens if not code.startswith("$")}
        return frozenset(named)

    def route_for(self, message_type: str) -> Route | None:
        return self.routes.get(message_type)

    def visible_to(self, partner: str) -> frozenset[str]:
        """The strippable classes ``partner`` may receive (none unless the rules say so)."""
        return self.visibility.get(partner, frozenset())

    def visible_under_consent(self, agency: str, scopes: frozenset[str]) -> frozenset[str]:
        """The strippable classes ``agency`` may receive on a case whose consent in force
        gives ``scopes``: its visibility, narrowed by the consent rules."""
        return self.visible_to(agency) & self.consent.allowed(agency, scopes)


def _refuse_plan_executors(source: YamlSource, name: str, route: _Route) -> None:
    """A route of a type that names no executors cannot be sent to them."""
    lists: list[tuple[YamlPath, list[str]]] = [
        (("recipients",), route.recipients),
        (("allowed_recipients",), route.allowed_recipients or []),
        *((("when_category", category), codes) for category, codes in route.when_category.items()),
    ]
    for where, tokens in lists:
        if PLAN_EXECUTORS in tokens:
            path = ("message_types", name, *where, tokens.index(PLAN_EXECUTORS))
            raise ConfigInvalid(
                source.file,
                source.line_of(path),
                f"{name}: {PLAN_EXECUTORS} is only for "
                f"{', '.join(sorted(_PLAN_EXECUTOR_TYPES))}, which name a plan's executors",
            )


def _refuse_unknown_partners(
    source: YamlSource, parsed: _RulesFile, known: Collection[str]
) -> None:
    """Every partner code the file names must be one the hub has an adapter for: a
    misspelt code (``kdnn``) would otherwise route copies nobody receives."""
    named: list[tuple[YamlPath, str]] = [(("visibility", code), code) for code in parsed.visibility]
    named += [(("consent", "without_consent", c), c) for c in parsed.consent.without_consent]
    for name, route in parsed.message_types.items():
        lists: list[tuple[YamlPath, list[str]]] = [
            (("senders",), route.senders),
            (("recipients",), route.recipients),
            (("allowed_recipients",), route.allowed_recipients or []),
            *((("when_category", c), codes) for c, codes in route.when_category.items()),
        ]
        named += [
            (("message_types", name, *where, i), code)
            for where, codes in lists
            for i, code in enumerate(codes)
        ]
    for path, code in named:
        if code not in _TOKENS and code not in known:
            raise ConfigInvalid(source.file, source.line_of(path), f"unknown partner code «{code}»")


def default_rules_file() -> Path:
    """The rules shipped with the hub."""
    return Path(str(files("hub.routing").joinpath("rules.yaml")))


def load_rules(
    file: Path | None = None, *, partners: Collection[str] | None = None
) -> RoutingRules:
    """Load and validate routing rules (the packaged default when ``file`` is None).

    ``partners``: the partner codes the hub knows (its adapters); when given, a code
    the file names outside them is refused.

    Raises:
        ConfigInvalid: with file, line and reason.
    """
    source = load_yaml(file or default_rules_file())
    parsed = validated(source, _RulesFile)
    if partners is not None:
        _refuse_unknown_partners(source, parsed, partners)
    for name, route in parsed.message_types.items():
        if not route.recipients and not route.allowed_recipients:
            path = ("message_types", name, "recipients")
            raise ConfigInvalid(
                source.file,
                source.line_of(path),
                f"{name}: no recipients and no allowed_recipients — nobody could receive it",
            )
        if name not in _PLAN_EXECUTOR_TYPES:
            _refuse_plan_executors(source, name, route)
    for name in parsed.delivery_deadlines.message_types:
        if name not in parsed.message_types:
            raise ConfigInvalid(
                source.file,
                source.line_of(("delivery_deadlines", "message_types", name)),
                f"delivery_deadlines.message_types: {name} is not a message type of these rules",
            )
    for code in parsed.consent.without_consent:
        if code not in parsed.visibility:
            raise ConfigInvalid(
                source.file,
                source.line_of(("consent", "without_consent", code)),
                f"consent.without_consent: {code} has no visibility of its own",
            )
    rules = RoutingRules(
        routes={
            name: Route(
                message_type=name,
                senders=frozenset(route.senders),
                recipients=tuple(route.recipients),
                allowed_recipients=frozenset(route.allowed_recipients or route.recipients),
                when_category={c: tuple(codes) for c, codes in route.when_category.items()},
            )
            for name, route in parsed.message_types.items()
        },
        visibility={code: frozenset(classes) for code, classes in parsed.visibility.items()},
        consent=ConsentRules(
            # Every copy through the hub is an exchange between agencies: a class the
            # file leaves out needs that consent, never none.
            needs={
                name: frozenset(parsed.consent.needs.get(name, [_EXCHANGE]))
                for name in get_args(SensitivityClass)
            },
            without_consent={
                code: frozenset(classes) for code, classes in parsed.consent.without_consent.items()
            },
        ),
        delivery_deadlines=DeliveryDeadlines.from_section(parsed.delivery_deadlines),
    )
    for index, code in enumerate(parsed.delivery_deadlines.without_notice):
        # A typo would silently tell the partner meant.
        if code not in rules.partners:
            raise ConfigInvalid(
                source.file,
                source.line_of(("delivery_deadlines", "without_notice", index)),
                f"delivery_deadlines.without_notice: {code} is not a partner of these rules",
            )
    return rules
