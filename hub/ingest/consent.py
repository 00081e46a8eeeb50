"""The family's consent behind a message: its ConsentRef checked, the scopes in force read.

A ConsentRef must name a ConsentRecord the hub recorded on the same case (family), given
and not past its ValidUntil (the end of that day in the case's region); the region's rules
(``consent_required_for``) say which types on a case must carry one. The answer also gives
the scopes in force, which narrow what later copies carry (``RoutingRules.
visible_under_consent``). It is one lookup, run in the ingest transaction after the chain
head is locked, so a ConsentRecord accepted just before is seen and a refusal stores
nothing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from hub.errors import Rejection
from hub.regions import Region, RegionRules
from hub.store import CaseConsent, CaseFile
from schemas import EnvelopeHeader
from schemas import canonical as c

_COLUMNS = (
    CaseFile.case_ref,
    CaseFile.region,
    CaseConsent.consent_id,
    CaseConsent.status,
    CaseConsent.scopes,
    CaseConsent.valid_until,
)
#: The case's consents (one row with no consent when it has none) and every consent
#: recorded under the ConsentRef's id, on any case: built once, run per message.
_CONSENTS = union_all(
    select(*_COLUMNS)
    .outerjoin(CaseConsent, CaseConsent.case_id == CaseFile.id)
    .where(CaseFile.case_ref == bindparam("case_ref")),
    select(*_COLUMNS)
    .join(CaseFile, CaseFile.id == CaseConsent.case_id)
    .where(CaseConsent.consent_id == bindparam("consent_ref")),
)


@dataclass(frozen=True)
class _Recorded:
    """One consent as recorded on a case."""

    case_ref: str
    consent_id: str
    status: str  # given | refused | withdrawn
    scopes: frozenset[str]
    valid_until: date | None

    def in_force(self, region: Region, now: datetime) -> bool:
        """Given, and ``now`` is before the end of ValidUntil in the case's region."""
        ends = self.valid_until
        return self.status == "given" and (ends is None or now < region.calendar.end_of_day(ends))


#: What a ConsentRef naming a consent the family did not give (or took back) is refused with.
_NOT_GIVEN = {"refused": "consent.refused", "withdrawn": "consent.withdrawn"}


def check_consent(
    session: Session,
    header: EnvelopeHeader,
    payload: c.Payload,
    regions: RegionRules,
    *,
    now: datetime,
) -> frozenset[str] | None:
    """The consent scopes in force on the message's case; None while it has no consent record.

    A message on no case (or on a case the hub does not know yet) names no family, so any
    ConsentRef it carries is refused, and no region's requirement applies to it.

    Raises:
        Rejection: ``consent.required``, ``consent.unknown``, ``consent.other_family``,
            ``consent.refused``, ``consent.withdrawn``, ``consent.expired``.
    """
    if header.case_ref is None and header.consent_ref is None:
        return None
    rows = session.connection().execute(
        _CONSENTS, {"case_ref": header.case_ref, "consent_ref": header.consent_ref}
    )
    region: Region | None = None
    recorded: list[_Recorded] = []
    for case_ref, case_region, consent_id, status, scopes, valid_until in rows:
        if case_ref == header.case_ref:
            region = regions.for_case(case_region)
        if consent_id is not None:
            recorded.append(
                _Recorded(case_ref, consent_id, status, frozenset(scopes.split(",")), valid_until)
            )
    ours = {r.consent_id: r for r in recorded if r.case_ref == header.case_ref}
    if region is None:
        _refuse_reference(header, recorded)
        return None
    _check_reference(header, payload, region, ours, recorded, now)
    if not ours:
        return None
    return frozenset(scope for r in ours.values() if r.in_force(region, now) for scope in r.scopes)


def _check_reference(
    header: EnvelopeHeader,
    payload: c.Payload,
    region: Region,
    ours: Mapping[str, _Recorded],
    recorded: Sequence[_Recorded],
    now: datetime,
) -> None:
    reference = header.consent_ref
    if reference is None:
        if header.message_type in region.consent_required_for:
            raise Rejection(
                "consent.required",
                f"region {region.code} requires a ConsentRef on {header.message_type} "
                f"(case {header.case_ref})",
            )
        return
    if isinstance(payload, c.ConsentRecord) and payload.consent_id == reference:
        return  # the record names itself: it is what records, narrows or withdraws it
    consent = ours.get(reference)
    if consent is None:
        _refuse_reference(header, recorded)
        return
    if consent.status in _NOT_GIVEN:
        raise Rejection(_NOT_GIVEN[consent.status], f"consent {reference} is {consent.status}")
    if not consent.in_force(region, now):
        raise Rejection(
            "consent.expired", f"consent {reference} was valid until {consent.valid_until}"
        )


def _refuse_reference(header: EnvelopeHeader, recorded: Sequence[_Recorded]) -> None:
    """Refuse a ConsentRef the message's case does not hold; nothing to refuse without one."""
    reference = header.consent_ref
    if reference is None:
        return
    if any(r.consent_id == reference for r in recorded):
        raise Rejection(
            "consent.other_family", f"consent {reference} is not recorded on case {header.case_ref}"
        )
    raise Rejection("consent.unknown", f"consent {reference} is not recorded")
