"""The ingest pipeline of ARCHITECTURE §4, in order; only this module knows the order.

size limit → safe parse → envelope XSD → signature (trust, signer = Sender) →
payload XSD → freshness → authorisation → a referral's region is served → ONE
transaction: the signing certificate is one the Sender registered (not retired, not
revoked), duplicate check, the family's consent (ConsentRef; the scopes in force),
routing, hash-chained log entry, case projection, outbox rows (minimised per recipient
and consent) → hand push rows to the queue. The transactions of requests that arrive
together are committed as one (``hub.ingest.group``), each in a savepoint of its own.
The hub's own messages (overdue notices) take the same path from the signature check
on (``originate``).

Nothing after the signature step reads the input tree: every later step reads
the verified tree the verifier returns (no signature wrapping). Routing and the
case tracker read its payload as one canonical value (``schemas.canonical``), read
once, before the transaction, without validating it a second time.
"""

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.cases import CaseConflictNote, CaseProjector
from hub.errors import Rejection
from hub.ingest.authorize import authorize_sender
from hub.ingest.certificates import RegisteredCertificates
from hub.ingest.consent import check_consent
from hub.ingest.facts import MessageFacts
from hub.ingest.group import GroupCommit
from hub.ingest.inspect import InspectedMessage, Inspector
from hub.ingest.record import (
    OutboundCopy,
    RejectionFacts,
    add_deliveries,
    append_message,
    lock_chain_head,
    record_rejection,
    write_chain_head,
)
from hub.ingest.replay import (
    check_freshness,
    check_message_id_free,
    logged_under,
    refusal_of_taken,
)
from hub.ingest.served import check_region_served
from hub.regions import RegionRules
from hub.routing import Route, RoutingRules, resolve_recipients
from hub.store import (
    DeliveryStatus,
    HubNotice,
    RegisteredPartner,
    agency_of,
    registered_partners,
)
from schemas import canonical as c
from schemas import minimise, payload_of
from signing import Signer

_log = logging.getLogger(__name__)

#: The key of the transaction's registered partners in ``session.info``.
_PARTNERS = "hub.ingest.partners"

#: Called after each commit with the (recipient, priority) of every push delivery it
#: stored, a group's together: the partners' lanes to wake.
OnCommitted = Callable[[Sequence[tuple[str, str]]], object]


@dataclass(frozen=True)
class DeliveryRef:
    delivery_id: int
    recipient: str
    mode: str
    status: str


@dataclass(frozen=True)
class IngestReceipt:
    """What the hub tells the sender of an accepted message."""

    hub_id: int
    message_id: str
    message_type: str
    priority: str
    received_at: datetime
    deliveries: tuple[DeliveryRef, ...]
    #: Why the message was not applied to its case, if it contradicted it (still accepted).
    case_conflicts: tuple[CaseConflictNote, ...] = ()


@dataclass(frozen=True)
class Freshness:
    """How far CreatedAt may stray from the hub's clock, in seconds."""

    max_age_s: int
    max_future_skew_s: int


class Ingestor:
    """Checks, records and routes incoming messages. Built once; safe to share between threads."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        inspector: Inspector,
        hub_signer: Signer,
        rules: RoutingRules,
        regions: RegionRules,
        freshness: Freshness,
        certificates: RegisteredCertificates,
        clock: Callable[[], datetime],
        on_committed: OnCommitted,
        max_group: int = 1,
    ) -> None:
        """``max_group``: how many requests' transactions may be committed as one."""
        self._sessions = session_factory
        #: The ingest transactions' way to the database, in groups.
        self.writes: GroupCommit[IngestReceipt] = GroupCommit(
            session_factory,
            max_group=max_group,
            before_commit=write_chain_head,
            after_commit=self._hand_over,
        )
        self._inspector = inspector
        self._hub_signer = hub_signer
        self._rules = rules
        #: The codes the rules name: agencies, each of which sees what the rules say.
        self._agencies = rules.partners
        self._regions = regions
        self._projector = CaseProjector(regions)
        self._freshness = freshness
        self._certificates = certificates
        self._clock = clock
        self._on_committed = on_committed

    def ingest(self, raw: bytes, *, authenticated: str | None) -> IngestReceipt:
        """Accept ``raw`` or refuse it; a refusal is recorded before it is raised.

        Raises:
            Rejection: with the stable code of the first check that failed.
        """
        now = self._clock()
        facts = _facts_of(raw, authenticated)
        try:
            receipt = self._accept(raw, authenticated, facts, now)
        except Rejection as rejection:
            self._record(rejection, facts, now)
            raise
        return receipt

    def originate(self, envelope: etree._Element, *, notice_key: str) -> IngestReceipt | None:
        """Sign and send the hub's own message; None if the notice ``notice_key`` was sent.

        It passes the same checks as a partner's (parse, XSD, signature) and is logged,
        projected and routed alike; the rules' senders list does not apply to the hub.
        ``notice_key`` names what the notice is about and is stored with it, uniquely,
        in the same transaction: a repeated call (another worker, a restart) is a no-op,
        so each notice is sent once. Its MessageId is random, so no partner can use it
        first and block the notice or pass its own message off as the hub's.
        """
        raw = self._hub_signer.sign(envelope)
        now = self._clock()
        message = self._inspector.inspect(raw, _facts_of(raw, None))
        route = self._rules.route_for(message.header.message_type)
        if route is None:
            raise ValueError(f"no route for the hub's {message.header.message_type}")
        signed = self._sign_ahead(message, route)
        payload = _read_payload(message)

        def write(session: Session) -> IngestReceipt:
            receipt = self._store(session, raw, message, payload, route, now, signed)
            session.add(HubNotice(notice_key=notice_key, message_log_id=receipt.hub_id))
            session.flush()
            return receipt

        try:
            receipt = self.writes.run(write)
        except IntegrityError:
            return None  # another worker logged this notice first: its key is taken
        _log_accepted(message, receipt)
        return receipt

    def _hand_over(self, receipts: Sequence[IngestReceipt]) -> None:
        """Wake the lanes of a committed group's push rows, in one call.

        Runs before the senders are answered. A wake that fails or that Redis loses
        leaves the rows to the sweeper, which wakes their lanes again; the message
        itself is committed and accepted either way.
        """
        push = [
            (d.recipient, receipt.priority)
            for receipt in receipts
            for d in receipt.deliveries
            if d.mode == "push"
        ]
        if push:
            self._on_committed(push)

    def refuse(self, raw: bytes, rejection: Rejection, *, size_bytes: int | None = None) -> None:
        """Record a refusal decided before the pipeline ran (e.g. a bad API key).

        ``size_bytes``: the declared size of a body refused unread (``raw`` is then empty).
        """
        facts = _facts_of(raw, None)
        if size_bytes is not None:
            facts.size_bytes = size_bytes
        self._record(rejection, facts, self._clock())

    def _record(self, rejection: Rejection, facts: RejectionFacts, now: datetime) -> None:
        with self._sessions.begin() as session:
            record_rejection(session, rejection, facts, now=now)
        # The ids are as claimed (unverified); the detail and the bytes are never logged.
        _log.info(
            "message rejected: %s",
            rejection.code,
            extra={
                "code": rejection.code,
                "status": rejection.status,
                "message_id": facts.claimed_message_id,
                "sender": facts.claimed_sender,
                "partner": facts.authenticated_partner,
                "size_bytes": facts.size_bytes,
            },
        )

    def _accept(
        self, raw: bytes, authenticated: str | None, facts: RejectionFacts, now: datetime
    ) -> IngestReceipt:
        message = self._inspector.inspect(raw, facts)
        header = message.header
        check_freshness(
            header.created_at,
            now=now,
            max_age_s=self._freshness.max_age_s,
            max_future_skew_s=self._freshness.max_future_skew_s,
        )
        route = authorize_sender(
            authenticated=authenticated,
            sender=header.sender,
            message_type=header.message_type,
            route=self._rules.route_for(header.message_type),
            agency_of=self._agency_of,
        )
        payload = _read_payload(message)
        check_region_served(payload, self._regions)
        signed = self._sign_ahead(message, route)

        def write(session: Session) -> IngestReceipt:
            self._certificates.check(session, sender=header.sender, signer=message.signer, now=now)
            return self._store(session, raw, message, payload, route, now, signed)

        try:
            receipt = self.writes.run(write)
        except IntegrityError as exc:
            # Two copies raced past the MessageId check; the unique index decided which.
            with self._sessions() as session:
                logged = logged_under(session, header.message_id)
            if logged is None:
                raise  # not the MessageId: a fault of ours, not a refusal
            raise refusal_of_taken(header.message_id, sender=header.sender, logged=logged) from exc
        _log_accepted(message, receipt)
        return receipt

    def _store(
        self,
        session: Session,
        raw: bytes,
        message: InspectedMessage,
        payload: c.Payload,
        route: Route,
        now: datetime,
        signed: dict[frozenset[str], OutboundCopy],
    ) -> IngestReceipt:
        header = message.header
        lock_chain_head(session)
        check_message_id_free(session, sender=header.sender, message_id=header.message_id)
        consent = check_consent(session, header, payload, self._regions, now=now)
        partners = _registered_partners(session)
        agencies = {code: partner.agency for code, partner in partners.items()}
        recipients = resolve_recipients(
            route,
            sender=header.sender,
            explicit=header.recipients,
            facts=MessageFacts(session, header, payload, self._regions),
            registered=agencies,
        )
        logged = append_message(
            session,
            raw=raw,
            header=header,
            signer_fingerprint=message.signer.fingerprint_sha256,
            now=now,
        )
        conflicts = self._projector.project(session, header, payload, log_id=logged.id, now=now)
        added = add_deliveries(
            session,
            message=logged,
            copies=self._outbound_copies(message.envelope, recipients, signed, agencies, consent),
            partners=partners,
            now=now,
        )
        return IngestReceipt(
            hub_id=logged.id,
            message_id=header.message_id,
            message_type=header.message_type,
            priority=header.priority,
            received_at=now,
            deliveries=tuple(
                DeliveryRef(d.delivery_id, d.recipient, d.mode.value, DeliveryStatus.PENDING.value)
                for d in added
            ),
            case_conflicts=conflicts,
        )

    def _sign_ahead(
        self, message: InspectedMessage, route: Route
    ) -> dict[frozenset[str], OutboundCopy]:
        """The copies of the recipients known before routing, signed before the transaction.

        Signing is the slowest step of storing a message; inside the transaction it
        would hold the chain head (and SQLite's write lock) from every other writer.
        The envelope's explicit recipients, else the route's fixed partner codes, are
        known now; recipients resolved from the database (``$`` tokens) are signed in
        the transaction. A copy signed here for a partner that routing then leaves out
        (not registered) is spent work, nothing more.
        """
        header = message.header
        known = header.recipients or [c for c in route.recipients if not c.startswith("$")]
        # An organisation sees what its agency does, known only from the database.
        agencies = {code: code for code in known if code in self._agencies}
        signed: dict[frozenset[str], OutboundCopy] = {}
        self._outbound_copies(
            message.envelope, [c for c in agencies if c != header.sender], signed, agencies, None
        )
        return signed

    def _outbound_copies(
        self,
        envelope: etree._Element,
        recipients: Sequence[str],
        by_view: dict[frozenset[str], OutboundCopy],
        agencies: Mapping[str, str],
        consent: frozenset[str] | None,
    ) -> dict[str, OutboundCopy]:
        """Each recipient's copy: minimised to what it may see, then re-signed by the hub.

        Recipients trust one key (the hub's) instead of every partner's, and get only
        the sensitivity classes the rules allow their agency (``agencies``: code →
        agency), narrowed by the family's consent once the case has one (``consent``:
        the scopes in force; None before any consent record); the original signed bytes
        stay in the log as evidence. Recipients with the same view share one signed
        copy; ``by_view`` holds those signed already and gains the ones signed here.
        """
        copies = {}
        for code in recipients:
            agency = agencies[code]
            view = (
                self._rules.visible_to(agency)
                if consent is None
                else self._rules.visible_under_consent(agency, consent)
            )
            if view not in by_view:
                # A fresh copy without the sender's signature, which no longer matches.
                minimised, removed = minimise(envelope, view)
                by_view[view] = OutboundCopy(self._hub_signer.sign(minimised), removed)
            copies[code] = by_view[view]
        return copies

    def _agency_of(self, sender: str) -> str:
        """The sender's agency, read before the ingest transaction (authorisation comes first)."""
        with self._sessions() as session:
            return agency_of(session, sender)


def _registered_partners(session: Session) -> Mapping[str, RegisteredPartner]:
    """The active partners, read once per transaction: the messages of a group share it."""
    partners: Mapping[str, RegisteredPartner] | None = session.info.get(_PARTNERS)
    if partners is None:
        partners = session.info[_PARTNERS] = registered_partners(session)
    return partners


def _read_payload(message: InspectedMessage) -> c.Payload:
    """The verified payload as its canonical value, outside the transaction (it holds the
    chain head); the inspector validated it, so it is not validated again."""
    return c.read_payload(message.header, payload_of(message.envelope))


def _log_accepted(message: InspectedMessage, receipt: IngestReceipt) -> None:
    """One line per committed message: ids and routing facts, never payload values."""
    header = message.header
    _log.info(
        "message accepted: %s",
        header.message_type,
        extra={
            "message_id": header.message_id,
            "message_type": header.message_type,
            "sender": header.sender,
            "case_ref": header.case_ref,
            "hub_id": receipt.hub_id,
            "priority": header.priority,
            "recipients": [d.recipient for d in receipt.deliveries],
        },
    )


def _facts_of(raw: bytes, authenticated: str | None) -> RejectionFacts:
    return RejectionFacts(
        size_bytes=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        authenticated_partner=authenticated,
    )
