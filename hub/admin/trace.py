"""Message trace for administrators: find messages, and everything the hub knows of one.

``search_messages`` filters the message log (ids, case, partner, type, time, delivery
state). ``get_message_detail`` gathers one message: header facts, every delivery with
its attempts, a fresh verification report of the stored original against the trust
material, the chain link, and the original XML with personal data MASKED: the text of
every payload element the schema marks identity, health, conduct or social is replaced
by ``MASK``. Pages show only the masked text; the unmasked original leaves the hub only
in the (audited) evidence export. Nothing here commits or audits; callers do.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from hub.archive import ArchiveShelf
from hub.config import Settings
from hub.errors import BodyArchived, NotFound
from hub.ingest import LinkInputInvalid, bytes_problem, expected_link, link_values
from hub.ingest.factory import verify_policy
from hub.store import DeliveryStatus, MessageLog, OutboxDelivery
from schemas import SchemaError, parse_xml, payload_of, read_header, sensitivity_map
from signing import (
    CertificateStanding,
    SignerIdentity,
    SigningError,
    TrustStore,
    VerifyPolicy,
    XmlVerifier,
    find_unverified_certificate,
)
from signing.gost import gost_algorithm_of
from signing.trust import CA_CERT_FILE, CRL_FILE

__all__ = [
    "MASK",
    "AttemptView",
    "CertificateFacts",
    "ChainFacts",
    "DeliveryView",
    "MessageDetail",
    "MessageRow",
    "TraceFilters",
    "TrustMaterial",
    "VerificationReport",
    "chain_facts",
    "find_message",
    "get_message_detail",
    "mask_personal_data",
    "search_messages",
    "signer_certificate",
    "verification_report",
]

#: What a masked element's text reads on the page.
MASK = "••• скрыто •••"
#: Rows a search returns at most.
MAX_SEARCH_ROWS = 200

#: The standing of a message without a readable certificate: nothing is known.
_NO_CERTIFICATE = CertificateStanding(issuer=None, revoked=None, revoked_at=None)


# --- Trust material -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrustMaterial:
    """The PKI's trust store, and a verifier of its CAs that ignores the CRL.

    The verifier judges a message at its reception time (signature, digest, chain and
    validity then); revocation is reported separately as the CRL says now, since a
    certificate revoked after the message arrived does not make the message forged.
    """

    store: TrustStore
    verifier: XmlVerifier

    @classmethod
    def load(cls, pki_dir: Path, policy: VerifyPolicy) -> Self:
        """Read the CA certificates and (if present) the CRL of a PKI directory.

        Raises:
            OSError: the CA certificate cannot be read.
            ValueError: malformed PEM, or a CRL that no CA in it signed.
        """
        store = TrustStore.load(pki_dir)
        return cls(store, XmlVerifier(TrustStore(store.ca_certificates), policy))

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """``load`` the hub's PKI with the algorithms it accepts (HUB_SIGNATURE_PROVIDERS)."""
        return cls.load(settings.pki_dir, verify_policy(settings))

    @staticmethod
    def files_version(pki_dir: Path) -> tuple[int, int]:
        """Modification times (ns) of the CA certificate and the CRL, 0 when missing: a
        holder reloads when they change (a new CRL after a revocation)."""
        ca_path, crl_path = pki_dir / CA_CERT_FILE, pki_dir / CRL_FILE
        return (
            ca_path.stat().st_mtime_ns if ca_path.exists() else 0,
            crl_path.stat().st_mtime_ns if crl_path.exists() else 0,
        )


# --- Search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceFilters:
    """What to look for; None filters nothing. ``ref`` is a MessageId or a hub id."""

    ref: str | None = None
    case_ref: str | None = None
    #: Sender or recipient.
    partner: str | None = None
    message_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: A delivery status: messages with at least one delivery in it.
    status: DeliveryStatus | None = None

    def audit_detail(self) -> str:
        """The filters as ``key=value`` words for the audit log (ids and codes, no names)."""
        values = {
            "ref": self.ref,
            "case": self.case_ref,
            "partner": self.partner,
            "type": self.message_type,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "status": self.status.value if self.status else None,
        }
        return " ".join(f"{k}={v}" for k, v in values.items() if v is not None)


@dataclass(frozen=True)
class MessageRow:
    """One message in a search result, with each delivery as (recipient, status)."""

    hub_id: int
    message_id: str
    sender: str
    message_type: str
    priority: str
    case_ref: str | None
    received_at: datetime
    deliveries: tuple[tuple[str, str], ...]


def search_messages(
    session: Session, filters: TraceFilters, *, limit: int = MAX_SEARCH_ROWS, offset: int = 0
) -> list[MessageRow]:
    """Messages matching every filter, newest first, at most ``limit`` after skipping
    ``offset`` (a page of the search)."""
    query = select(MessageLog).options(selectinload(MessageLog.deliveries))
    if filters.ref is not None:
        ref = filters.ref.strip()
        clauses = [MessageLog.message_id == ref.lower()]
        if ref.isdigit():
            clauses.append(MessageLog.id == int(ref))
        query = query.where(or_(*clauses))
    if filters.case_ref is not None:
        query = query.where(MessageLog.case_ref == filters.case_ref)
    if filters.message_type is not None:
        query = query.where(MessageLog.message_type == filters.message_type)
    if filters.since is not None:
        query = query.where(MessageLog.received_at >= filters.since)
    if filters.until is not None:
        query = query.where(MessageLog.received_at <= filters.until)
    if filters.partner is not None:
        to_partner = select(OutboxDelivery.message_log_id).where(
            OutboxDelivery.recipient == filters.partner
        )
        query = query.where(
            or_(MessageLog.sender == filters.partner, MessageLog.id.in_(to_partner))
        )
    if filters.status is not None:
        in_status = select(OutboxDelivery.message_log_id).where(
            OutboxDelivery.status == filters.status
        )
        query = query.where(MessageLog.id.in_(in_status))
    rows = session.scalars(query.order_by(MessageLog.id.desc()).limit(limit).offset(offset))
    return [
        MessageRow(
            hub_id=row.id,
            message_id=row.message_id,
            sender=row.sender,
            message_type=row.message_type,
            priority=row.priority,
            case_ref=row.case_ref,
            received_at=row.received_at,
            deliveries=tuple((d.recipient, d.status.value) for d in row.deliveries),
        )
        for row in rows
    ]


def find_message(session: Session, ref: str) -> MessageLog | None:
    """The message with hub id ``ref`` (digits) or MessageId ``ref`` (unique); None if none."""
    ref = ref.strip()
    if ref.isdigit():
        return session.get(MessageLog, int(ref))
    return session.scalars(
        select(MessageLog).where(MessageLog.message_id == ref.lower()).order_by(MessageLog.id)
    ).first()


# --- One message --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptView:
    number: int
    started_at: datetime
    finished_at: datetime
    duration_ms: float
    outcome: str
    error: str | None


@dataclass(frozen=True)
class DeliveryView:
    id: int
    recipient: str
    mode: str
    priority: str
    status: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    remote_reference: str | None
    last_error: str | None
    removed_classes: tuple[str, ...]
    cancel_reason: str | None
    attempt_log: tuple[AttemptView, ...]


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    #: Upper-case hex, as OpenSSL prints it.
    serial_hex: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    #: The key's algorithm as an administrator reads it, e.g. «ГОСТ Р 34.10-2012, 256 бит».
    key_algorithm: str

    @classmethod
    def of(cls, certificate: x509.Certificate) -> Self:
        return cls(
            key_algorithm=_key_algorithm(certificate),
            subject=certificate.subject.rfc4514_string(),
            issuer=certificate.issuer.rfc4514_string(),
            serial_hex=format(certificate.serial_number, "X"),
            fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )


def _key_algorithm(certificate: x509.Certificate) -> str:
    gost = gost_algorithm_of(certificate)
    if gost is not None:
        return f"ГОСТ Р 34.10-2012, {gost.bits} бит"
    try:
        key = certificate.public_key()
    except UnsupportedAlgorithm:
        return certificate.public_key_algorithm_oid.dotted_string
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA, {key.key_size} бит"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA, {key.curve.name}"
    return certificate.public_key_algorithm_oid.dotted_string


@dataclass(frozen=True)
class VerificationReport:
    """The stored original re-verified: at its reception time, and its revocation now."""

    #: The time the signature was judged at (the message's ``received_at``).
    verified_at: datetime
    #: When this report was made (revocation is as of then).
    checked_at: datetime
    #: Signature, digest, certificate chain and validity all held at ``verified_at``.
    valid: bool
    #: ``ok``, or the failing check's error class (``DigestMismatch``, …).
    outcome: str
    detail: str | None
    signer_system: str | None
    signer_organisation: str | None
    certificate: CertificateFacts | None
    #: The signing certificate is directly issued by (signed by) a CA in the trust material.
    chain_to_ca: bool
    ca_subject: str | None
    #: Per the current CRL: True/False, or None when there is no CRL from its CA.
    revoked_now: bool | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, object]:
        """The report as JSON-ready values (times in ISO 8601)."""
        cert = self.certificate
        return {
            "verified_at": self.verified_at.isoformat(),
            "checked_at": self.checked_at.isoformat(),
            "valid_at_reception": self.valid,
            "outcome": self.outcome,
            "detail": self.detail,
            "signer_system": self.signer_system,
            "signer_organisation": self.signer_organisation,
            "certificate": None
            if cert is None
            else {
                "subject": cert.subject,
                "issuer": cert.issuer,
                "serial_hex": cert.serial_hex,
                "fingerprint_sha256": cert.fingerprint_sha256,
                "not_before": cert.not_before.isoformat(),
                "not_after": cert.not_after.isoformat(),
                "key_algorithm": cert.key_algorithm,
            },
            "chain_to_ca": self.chain_to_ca,
            "ca_subject": self.ca_subject,
            "revoked_now": self.revoked_now,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class ChainFacts:
    """The message's link in the log's hash chain, recomputed from the stored bytes."""

    sha256: str
    prev_hash: str
    chain_hash: str
    #: The stored bytes hash to ``sha256`` and ``chain_hash`` follows from the row's columns.
    consistent: bool


@dataclass(frozen=True)
class MessageDetail:
    hub_id: int
    message_id: str
    sender: str
    message_type: str
    schema_version: str
    priority: str
    case_ref: str | None
    correlation_id: str | None
    created_at: datetime
    received_at: datetime
    size_bytes: int
    deliveries: tuple[DeliveryView, ...]
    #: None when the body is archived and its archive cannot be read (``archive_note``).
    verification: VerificationReport | None
    chain: ChainFacts
    #: The original with personal data replaced by ``MASK``; safe to show ("" as above).
    masked_xml: str
    #: Classes removed from at least one recipient's copy.
    removed_classes: tuple[str, ...]
    #: The archive file holding the body, and when it was moved there; None if not archived.
    archive_name: str | None = None
    archived_at: datetime | None = None
    #: Why the archived body could not be read, in Russian; None when it was read.
    archive_note: str | None = None


def get_message_detail(
    session: Session,
    ref: str,
    *,
    trust: TrustMaterial,
    now: datetime,
    shelf: ArchiveShelf | None = None,
) -> MessageDetail:
    """Everything about message ``ref`` (hub id or MessageId) for the trace page.

    An archived message's body is read from ``shelf`` (None: no archive folder); when it
    cannot be, the detail says
    why (``archive_note``) and carries no verification and no XML.

    Raises:
        NotFound: no such message.
    """
    row = find_message(session, ref)
    if row is None:
        raise NotFound("message", ref[:64])
    deliveries = session.scalars(
        select(OutboxDelivery)
        .where(OutboxDelivery.message_log_id == row.id)
        .options(selectinload(OutboxDelivery.attempt_log))
        .order_by(OutboxDelivery.id)
    ).all()
    views = tuple(_delivery_view(d) for d in deliveries)
    try:
        body: bytes | None = (shelf or ArchiveShelf(None)).body_of(row)
        note = None
    except BodyArchived as exc:
        body, note = None, exc.reason
    return MessageDetail(
        hub_id=row.id,
        message_id=row.message_id,
        sender=row.sender,
        message_type=row.message_type,
        schema_version=row.schema_version,
        priority=row.priority,
        case_ref=row.case_ref,
        correlation_id=row.correlation_id,
        created_at=row.created_at,
        received_at=row.received_at,
        size_bytes=len(body or b""),
        deliveries=views,
        verification=None
        if body is None
        else verification_report(
            body, sender=row.sender, received_at=row.received_at, trust=trust, now=now
        ),
        chain=chain_facts(row, body),
        masked_xml="" if body is None else mask_personal_data(body),
        removed_classes=tuple(sorted({c for v in views for c in v.removed_classes})),
        archive_name=row.archive_name,
        archived_at=row.archived_at,
        archive_note=note,
    )


def chain_facts(row: MessageLog, body: bytes | None = None) -> ChainFacts:
    """The row's chain link and whether it is consistent with its stored columns and bytes.

    ``body`` is the message's bytes when they are not the row's own (read from its
    archive); None for an archived body that could not be read: the link alone is checked.
    """
    try:
        link = expected_link(link_values(row))
    except LinkInputInvalid:
        link = None
    data = row.raw if row.archive_name is None else body
    intact = data is None or bytes_problem(data, row.sha256) is None
    consistent = intact and link == row.chain_hash
    return ChainFacts(row.sha256, row.prev_hash, row.chain_hash, consistent)


def _delivery_view(row: OutboxDelivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        recipient=row.recipient,
        mode=row.mode.value,
        priority=row.priority,
        status=row.status.value,
        attempts=row.attempts,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        next_attempt_at=row.next_attempt_at,
        remote_reference=row.remote_reference,
        last_error=row.last_error,
        removed_classes=tuple(c for c in (row.removed_classes or "").split(",") if c),
        cancel_reason=row.cancel_reason,
        attempt_log=tuple(
            AttemptView(
                number=a.number,
                started_at=a.started_at,
                finished_at=a.finished_at,
                duration_ms=max((a.finished_at - a.started_at).total_seconds() * 1000.0, 0.0),
                outcome=a.outcome,
                error=a.error,
            )
            for a in row.attempt_log
        ),
    )


# --- Verification -------------------------------------------------------------------------


def verification_report(
    raw: bytes, *, sender: str, received_at: datetime, trust: TrustMaterial, now: datetime
) -> VerificationReport:
    """Re-verify ``raw`` as signed by ``sender`` at ``received_at``; revocation as of ``now``."""
    certificate = signer_certificate(raw)
    signer: SignerIdentity | None = None
    outcome, detail = "ok", None
    try:
        verified = trust.verifier.verify(parse_xml(raw), expected_sender=sender, now=received_at)
        signer = verified.signer
        certificate = verified.certificate
    except SigningError as exc:
        outcome, detail = type(exc).__name__, str(exc)[:500]
    except SchemaError as exc:
        outcome, detail = type(exc).__name__, str(exc)[:500]
    standing = trust.store.standing(certificate) if certificate is not None else _NO_CERTIFICATE
    return VerificationReport(
        verified_at=received_at,
        checked_at=now,
        valid=outcome == "ok",
        outcome=outcome,
        detail=detail,
        signer_system=signer.system_code if signer else None,
        signer_organisation=signer.organisation if signer else None,
        certificate=CertificateFacts.of(certificate) if certificate is not None else None,
        chain_to_ca=standing.issuer is not None,
        ca_subject=standing.issuer.subject.rfc4514_string() if standing.issuer else None,
        revoked_now=standing.revoked,
        revoked_at=standing.revoked_at,
    )


def signer_certificate(raw: bytes) -> x509.Certificate | None:
    """The certificate carried in the message's own signature (not yet trusted), if any."""
    try:
        return find_unverified_certificate(parse_xml(raw))
    except SchemaError:
        return None


# --- Masking ------------------------------------------------------------------------------


def mask_personal_data(raw: bytes) -> str:
    """The message as text with every personal-data element's text replaced by ``MASK``.

    The payload schema (type and version from the header) names the elements: those of
    class identity, health, conduct and social, each with its whole subtree (text and
    attribute values). A message whose header or payload type cannot be read is masked
    whole: nothing of it is shown rather than something unmasked.
    """
    try:
        root = parse_xml(raw)
        header = read_header(root)
        marked = sensitivity_map(header.message_type, header.schema_version)
        payload = payload_of(root)
    except (SchemaError, ValueError, LookupError):
        return MASK
    for path in marked:
        # The map names local names; any namespace matches, as the schema fixes them anyway.
        for element in payload.findall("/".join("{*}" + step for step in path.split("/"))):
            _mask_subtree(element)
    return etree.tostring(root, encoding="unicode")


def _mask_subtree(element: etree._Element) -> None:
    for node in element.iter():
        if node.text is not None and node.text.strip():
            node.text = MASK
        for name in node.attrib:
            node.attrib[name] = MASK
        # Comments or processing instructions inside could carry text too.
        if not isinstance(node.tag, str) and node.text:
            node.text = MASK
