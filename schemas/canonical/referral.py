"""Signal stage: ``FamilyReferral`` (обращение о семье) and the receiver's ``ReferralReceipt``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from schemas.canonical.common import (
    SCHEMA_VERSION,
    Address,
    Adult,
    Child,
    Curator,
    Organisation,
    Reader,
    Specialist,
    add,
    add_address,
    add_adult,
    add_child,
    add_moment,
    add_optional,
    add_organisation,
    add_specialist,
    new_payload,
    read_address,
    read_adult,
    read_child,
    read_optional_curator,
    read_organisation,
    read_specialist,
)

__all__ = ["FamilyReferral", "Reason", "ReferralReceipt"]

#: FamilyReferral 1.1 adds PreferredLanguage; everything else is 1.0.
_REFERRAL_WITH_LANGUAGE = "1.1"


@dataclass(frozen=True)
class Reason:
    code: str  # a FamilyReferral ReasonCode
    details: str | None = None


@dataclass(frozen=True)
class FamilyReferral:
    """Обращение о семье: an agency reports a family with children at risk.

    ``reasons`` and ``circumstances`` are conduct data: a recipient not allowed to see it
    gets them empty. ``preferred_language`` (xs:language, e.g. ``ky``) needs version 1.1.
    """

    referral_id: str
    detected_at: datetime
    organisation: Organisation
    specialist: Specialist
    source: str  # a FamilyReferral SourceChannel
    address: Address
    children: tuple[Child, ...]
    urgency: str  # urgent | routine
    reasons: tuple[Reason, ...] = ()
    circumstances: str | None = None
    adults: tuple[Adult, ...] = ()
    attachments_ref: str | None = None
    preferred_language: str | None = None


@dataclass(frozen=True)
class ReferralReceipt:
    """The receiving agency's answer to a FamilyReferral."""

    referral_message_id: str
    outcome: str  # registered | forwarded | rejected_not_competent
    received_at: datetime
    organisation: Organisation
    registration_number: str | None = None
    curator: Curator | None = None
    comment: str | None = None


def referral_version(referral: FamilyReferral) -> str:
    """Return the oldest FamilyReferral version that carries every field set."""
    # 1.0 readers keep reading referrals that need nothing newer.
    return SCHEMA_VERSION if referral.preferred_language is None else _REFERRAL_WITH_LANGUAGE


def write_family_referral(referral: FamilyReferral) -> etree._Element:
    root, ns = new_payload("FamilyReferral")
    add(root, ns, "ReferralId", referral.referral_id)
    add_moment(root, ns, "DetectedAt", referral.detected_at)
    detected_by = add(root, ns, "DetectedBy")
    add_organisation(detected_by, ns, "Organisation", referral.organisation)
    add_specialist(detected_by, ns, "Specialist", referral.specialist)
    add(root, ns, "Source", referral.source)
    family = add(root, ns, "Family")
    add_address(family, ns, referral.address)
    if referral.adults:
        adults = add(family, ns, "Adults")
        for adult in referral.adults:
            add_adult(adults, ns, adult)
    children = add(family, ns, "Children")
    for child in referral.children:
        add_child(children, ns, child)
    if referral.reasons:
        reasons = add(root, ns, "Reasons")
        for reason in referral.reasons:
            element = add(reasons, ns, "Reason")
            add(element, ns, "Code", reason.code)
            add_optional(element, ns, "Details", reason.details)
    add(root, ns, "Urgency", referral.urgency)
    add_optional(root, ns, "Circumstances", referral.circumstances)
    add_optional(root, ns, "AttachmentsRef", referral.attachments_ref)
    add_optional(root, ns, "PreferredLanguage", referral.preferred_language)
    return root


def write_referral_receipt(receipt: ReferralReceipt) -> etree._Element:
    root, ns = new_payload("ReferralReceipt")
    add(root, ns, "ReferralMessageId", receipt.referral_message_id)
    add(root, ns, "Outcome", receipt.outcome)
    add_optional(root, ns, "RegistrationNumber", receipt.registration_number)
    add_moment(root, ns, "ReceivedAt", receipt.received_at)
    add_organisation(root, ns, "ResponsibleOrganisation", receipt.organisation)
    if receipt.curator is not None:
        add_specialist(root, ns, "Curator", receipt.curator)
    add_optional(root, ns, "Comment", receipt.comment)
    return root


def read_family_referral(root: Reader) -> FamilyReferral:
    detected_by = root.child("DetectedBy")
    family = root.child("Family")
    adults = family.optional("Adults")
    reasons = root.optional("Reasons")
    return FamilyReferral(
        referral_id=root.token("ReferralId"),
        detected_at=root.moment("DetectedAt"),
        organisation=read_organisation(detected_by.child("Organisation")),
        specialist=read_specialist(detected_by.child("Specialist")),
        source=root.text("Source"),
        address=read_address(family.child("Address")),
        adults=() if adults is None else tuple(read_adult(a) for a in adults.children("Adult")),
        children=tuple(read_child(c) for c in family.child("Children").children("Child")),
        reasons=()
        if reasons is None
        else tuple(
            Reason(code=r.text("Code"), details=r.optional_text("Details"))
            for r in reasons.children("Reason")
        ),
        urgency=root.text("Urgency"),
        circumstances=root.optional_text("Circumstances"),
        attachments_ref=root.optional_token("AttachmentsRef"),
        preferred_language=root.optional_token("PreferredLanguage"),
    )


def read_referral_receipt(root: Reader) -> ReferralReceipt:
    return ReferralReceipt(
        referral_message_id=root.text("ReferralMessageId"),
        outcome=root.text("Outcome"),
        registration_number=root.optional_token("RegistrationNumber"),
        received_at=root.moment("ReceivedAt"),
        organisation=read_organisation(root.child("ResponsibleOrganisation")),
        curator=read_optional_curator(root.optional("Curator")),
        comment=root.optional_text("Comment"),
    )
