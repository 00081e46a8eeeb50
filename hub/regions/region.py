"""Region rules: what differs between regions, one YAML file per region.

Each region decides who recognises a family as СОП or ТЖС and which partner system
speaks for that body on the hub, which partner system owns its cases (the curators'),
whether consent comes before the decision, how long each stage of a case may take, how
often reports are due, which days it works, and the prefix its case numbers carry. A
family's address names its region; an address no file claims belongs to no region the
hub serves, and ingest refuses that referral: there is no default region to fall back
on, so no family is ever filed under another region's deadlines and staff. The files
are loaded once at start and
validated there, against the routing rules the hub runs with (a partner they do not
know could never be told anything): a bad file stops the hub with the file, the line
and the reason, as the routing rules do, rather than failing on the first case of that
region.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, NoReturn, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
)

from hub.regions.calendar import (
    DEADLINE_UNITS,
    Deadline,
    DeadlineUnit,
    WorkingCalendar,
    is_weekend,
    russian_calendar,
)
from hub.routing import RoutingRules, load_rules
from hub.routing.yamlsource import ConfigInvalid, YamlPath, YamlSource, load_yaml, validated

DecisionBodyKind = Literal["kdn", "council", "working_group", "interagency_commission"]
HelpType = Literal[
    "social", "psychological", "pedagogical", "medical", "legal", "employment", "other"
]

_REGION_CODE = re.compile(r"[a-z][a-z0-9_-]*")
#: What a case number's prefix looks like: the case number is "<prefix>-…".
_CASE_PREFIX = r"[A-Z]{2,8}"
_DEADLINE_TEXT = re.compile(r"(-?[0-9]+) +([a-z_]+)")


def _parse_deadline(value: object) -> Deadline:
    match = _DEADLINE_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"write a deadline as '<amount> <unit>' with unit one of "
            f"{', '.join(DEADLINE_UNITS)}, e.g. '5 working_days'"
        )
    # Deadline itself refuses an unknown unit or a non-positive amount.
    return Deadline(int(match[1]), cast(DeadlineUnit, match[2]))


def _parse_zone(value: object) -> ZoneInfo:
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(f"{value!r} is not an IANA time zone, e.g. Asia/Kamchatka")


_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_DeadlineText = Annotated[Deadline, PlainValidator(_parse_deadline)]
_Zone = Annotated[ZoneInfo, PlainValidator(_parse_zone)]


class _Model(BaseModel):
    # strict: YAML already types its scalars, so "yes" or 1 where a number or flag
    # belongs is a mistake to report, not to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _DecisionBody(_Model):
    kind: DecisionBodyKind
    partner: _Text
    name: _Text


class _DecisionBodies(_Model):
    sop: _DecisionBody
    tjs: _DecisionBody


class _StageDeadlines(_Model):
    receipt: _DeadlineText
    urgent_receipt: _DeadlineText
    survey: _DeadlineText
    decision: _DeadlineText
    plan: _DeadlineText
    information_response: _DeadlineText
    assignment_acceptance: _DeadlineText


class _Reports(_Model):
    period_months: int = Field(ge=1, le=12)
    grace: _DeadlineText


class _Calendar(_Model):
    transferred_working_days: list[date] = []
    days_off: list[date] = []


class _RegionFile(_Model):
    version: int = Field(ge=1, le=1)
    name: _Text
    case_prefix: Annotated[str, StringConstraints(pattern=f"^{_CASE_PREFIX}$")]
    address_names: list[_Text] = Field(min_length=1)
    timezone: _Zone
    case_owner: _Text
    decision_bodies: _DecisionBodies
    consent_before_decision: bool
    consent_required_for: list[_Text]
    deadlines: _StageDeadlines
    action_acceptance: dict[HelpType, _DeadlineText] = {}
    reports: _Reports
    visits_per_month: int = Field(ge=1)
    post_support_months: int = Field(ge=0)
    calendar: _Calendar = _Calendar()


@dataclass(frozen=True)
class DecisionBodyRule:
    """The collegial body that recognises a family's category in a region."""

    kind: DecisionBodyKind
    #: The partner system that speaks for the body on the hub: it is told, and owes, the
    #: decision (a council's decisions may come through the social centre's system).
    partner: str
    name: str


@dataclass(frozen=True)
class Region:
    """One region's rules; ``code`` is its file's stem."""

    code: str
    name: str
    #: Values of an address's <Region> that mean this region, as written in the file.
    address_names: frozenset[str]
    #: Every case number of the region begins with it and a hyphen ("KAM-2026-000123").
    case_prefix: str
    calendar: WorkingCalendar
    #: The partner system that owns the region's cases (its curators): it writes the
    #: plan and is told of every overdue action.
    case_owner: str
    #: "sop" and "tjs" → the body deciding that category.
    decision_bodies: Mapping[str, DecisionBodyRule]
    #: A CaseDecision needs a given ConsentRecord first.
    consent_before_decision: bool
    #: Message types that must name, in ConsentRef, a consent of the case's family in force.
    consent_required_for: frozenset[str]
    #: receipt, urgent_receipt, survey, decision, plan, information_response,
    #: assignment_acceptance → how long that stage may take.
    stage_deadlines: Mapping[str, Deadline]
    #: Help type → how long an agency has to accept an action of the plan.
    action_acceptance: Mapping[str, Deadline]
    report_period_months: int
    #: How long after a period ends its report counts as missing.
    report_grace: Deadline
    visits_per_month: int
    post_support_months: int

    def decision_partner(self, category: str) -> str:
        """The partner system of the body that decides ``category`` (sop, tjs) in this region.

        Raises:
            KeyError: ``category`` is neither.
        """
        return self.decision_bodies[category].partner

    def acceptance_deadline(self, help_type: str) -> Deadline:
        """The acceptance deadline for ``help_type``, else the region's default one."""
        return self.action_acceptance.get(help_type, self.stage_deadlines["assignment_acceptance"])

    def numbers(self, case_ref: str) -> bool:
        """Whether ``case_ref`` is a number of this region's ("<prefix>-…")."""
        return case_ref.startswith(f"{self.case_prefix}-")


def _address_key(name: str) -> str:
    """How address names compare: case-insensitive, spaces stripped and collapsed."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class RegionRules:
    """Every configured region, by code; the hub serves exactly these."""

    regions: Mapping[str, Region]
    _by_address: Mapping[str, Region] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_address = {
            _address_key(name): region
            for region in self.regions.values()
            for name in region.address_names
        }
        object.__setattr__(self, "_by_address", MappingProxyType(by_address))

    def find_for_address(self, address_region: str) -> Region | None:
        """The region an address's <Region> names; None for a region the hub does not serve."""
        return self._by_address.get(_address_key(address_region))

    def find_numbering(self, case_ref: str) -> Region | None:
        """The region whose prefix ``case_ref`` carries, if any."""
        return next((r for r in self.regions.values() if r.numbers(case_ref)), None)

    def served_names(self) -> list[str]:
        """The served regions' names, sorted: what a refusal tells the sender."""
        return sorted(region.name for region in self.regions.values())

    def for_case(self, code: str | None) -> Region:
        """The region a case is filed under.

        Raises:
            LookupError: the case has no region (every case is opened with one) or one
                no file configures any more.
        """
        if code is None:
            raise LookupError("the case has no region")
        return self.get(code)

    def get(self, code: str) -> Region:
        """The region with ``code``.

        Raises:
            LookupError: no region has that code.
        """
        try:
            return self.regions[code]
        except KeyError:
            raise LookupError(f"unknown region {code}") from None


def default_regions_dir() -> Path:
    """The folder of region files shipped with the hub."""
    return Path(str(files("hub.regions")))


def load_regions(directory: Path | None = None, rules: RoutingRules | None = None) -> RegionRules:
    """Load and validate every ``*.yaml`` in ``directory`` (the packaged one when None).

    Each partner a file names (case owner, decision bodies) must be one ``rules`` know
    (the packaged routing rules when None): the hub runs both, and a case owner the
    rules never route to would not hear of its cases.

    Raises:
        ConfigInvalid: with file, line and reason; for a folder-wide problem (no
            files) the file is the folder and the line 1.
    """
    folder = directory or default_regions_dir()
    routing = rules or load_rules()
    regions: dict[str, Region] = {}
    claimed: dict[str, Path] = {}  # address key → the file that claimed it
    prefixes: dict[str, Path] = {}  # case prefix → the file that took it
    for file in sorted(folder.glob("*.yaml")):
        source = load_yaml(file)
        region, parsed = _load_region(source, routing.partners, frozenset(routing.routes))
        for i, name in enumerate(parsed.address_names):
            key = _address_key(name)
            if key in claimed:
                raise ConfigInvalid(
                    file,
                    source.line_of(("address_names", i)),
                    f"address_names: {name!r} is already claimed by {claimed[key].name}",
                )
            claimed[key] = file
        if region.case_prefix in prefixes:
            raise ConfigInvalid(
                file,
                source.line_of(("case_prefix",)),
                f"case_prefix: {region.case_prefix!r} is already the prefix of "
                f"{prefixes[region.case_prefix].name}",
            )
        prefixes[region.case_prefix] = file
        regions[region.code] = region
    if not regions:
        raise ConfigInvalid(folder, 1, "no region files (*.yaml) in this folder")
    return RegionRules(regions=MappingProxyType(regions))


def _load_region(
    source: YamlSource, partners: Collection[str], message_types: Collection[str]
) -> tuple[Region, _RegionFile]:
    code = source.file.stem
    if not _REGION_CODE.fullmatch(code):
        raise ConfigInvalid(
            source.file, 1, f"the file name {code!r} must match {_REGION_CODE.pattern}"
        )
    parsed = validated(source, _RegionFile)
    bodies = {"sop": parsed.decision_bodies.sop, "tjs": parsed.decision_bodies.tjs}
    _check_partner(source, ("case_owner",), parsed.case_owner, partners)
    for category, body in bodies.items():
        _check_partner(source, ("decision_bodies", category, "partner"), body.partner, partners)
    for i, message_type in enumerate(parsed.consent_required_for):
        if message_type not in message_types:
            _refuse(
                source,
                ("consent_required_for", i),
                f"{message_type!r} is not a message type of the routing rules",
            )
    region = Region(
        code=code,
        name=parsed.name,
        address_names=frozenset(parsed.address_names),
        case_prefix=parsed.case_prefix,
        calendar=_working_calendar(source, parsed),
        case_owner=parsed.case_owner,
        decision_bodies=MappingProxyType(
            {
                category: DecisionBodyRule(kind=body.kind, partner=body.partner, name=body.name)
                for category, body in bodies.items()
            }
        ),
        consent_before_decision=parsed.consent_before_decision,
        consent_required_for=frozenset(parsed.consent_required_for),
        stage_deadlines=MappingProxyType(dict(parsed.deadlines)),
        action_acceptance=MappingProxyType(dict(parsed.action_acceptance.items())),
        report_period_months=parsed.reports.period_months,
        report_grace=parsed.reports.grace,
        visits_per_month=parsed.visits_per_month,
        post_support_months=parsed.post_support_months,
    )
    return region, parsed


def _check_partner(
    source: YamlSource, path: YamlPath, code: str, partners: Collection[str]
) -> None:
    if code not in partners:
        where = ".".join(str(part) for part in path)
        raise ConfigInvalid(
            source.file,
            source.line_of(path),
            f"{where}: {code!r} is not a partner of the routing rules "
            f"(they know {', '.join(sorted(partners))})",
        )


def _working_calendar(source: YamlSource, parsed: _RegionFile) -> WorkingCalendar:
    working = parsed.calendar.transferred_working_days
    days_off = parsed.calendar.days_off
    for i, day in enumerate(working):
        path: YamlPath = ("calendar", "transferred_working_days", i)
        if not is_weekend(day):
            _refuse(source, path, f"{day} is a {day:%A}, already a working day")
        if day in working[:i]:
            _refuse(source, path, f"{day} is listed twice")
        # The decree's "move the day off from Saturday 3 January" names a holiday:
        # that Saturday stays off, only the day it moves to changes.
        if day in russian_calendar(day.year)[0]:
            _refuse(source, path, f"{day} is a public holiday and cannot be a working day")
    for i, day in enumerate(days_off):
        path = ("calendar", "days_off", i)
        if is_weekend(day):
            _refuse(source, path, f"{day} is a {day:%A}, already a day off")
        if day in days_off[:i]:
            _refuse(source, path, f"{day} is listed twice")
    return WorkingCalendar(
        timezone=parsed.timezone,
        transferred_working_days=frozenset(working),
        days_off=frozenset(days_off),
    )


def _refuse(source: YamlSource, path: YamlPath, reason: str) -> NoReturn:
    where = ".".join(str(part) for part in path[:-1])
    raise ConfigInvalid(source.file, source.line_of(path), f"{where}: {reason}")
