"""Answers to routing's questions about one message, read from the log and the case projection."""

from functools import cached_property

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.cases import find_case
from hub.errors import Rejection
from hub.regions import RegionRules
from hub.store import CaseFile, MessageLog, OutboxDelivery
from schemas import EnvelopeHeader
from schemas import canonical as c

#: Routing's lookups, built once (bindparam) and run on the session's connection:
#: ingest may run them for every message.
#: A MessageId is unique in the log (migration 0008), so this is one row at most; the
#: ORDER BY keeps the answer deterministic all the same.
_CORRELATED_SENDER = (
    select(MessageLog.sender)
    .where(MessageLog.message_id == bindparam("message_id"))
    .order_by(MessageLog.id)
    .limit(1)
)
_CASE_SENDERS = (
    select(MessageLog.sender).where(MessageLog.case_ref == bindparam("case_ref")).distinct()
)
_CASE_RECIPIENTS = (
    select(OutboxDelivery.recipient)
    .where(
        OutboxDelivery.message_log_id.in_(
            select(MessageLog.id).where(MessageLog.case_ref == bindparam("case_ref"))
        )
    )
    .distinct()
)
_CASE_REFERRER = (
    select(MessageLog.sender)
    .where(
        MessageLog.message_type == "FamilyReferral",
        MessageLog.message_id.in_(
            select(MessageLog.correlation_id).where(
                MessageLog.case_ref == bindparam("case_ref"),
                MessageLog.correlation_id.is_not(None),
            )
        ),
    )
    .order_by(MessageLog.id)
    .limit(1)
)


class MessageFacts:
    """``RoutingFacts`` for one message; each answer is looked up once, only if asked."""

    def __init__(
        self,
        session: Session,
        header: EnvelopeHeader,
        payload: c.Payload,
        regions: RegionRules,
    ) -> None:
        self._session = session
        self._header = header
        self._payload = payload
        self._regions = regions

    def correlated_sender(self) -> str | None:
        correlation = self._header.correlation_id
        if correlation is None:
            return None
        sender = self._session.connection().scalar(_CORRELATED_SENDER, {"message_id": correlation})
        if sender is None:
            raise Rejection("routing.unknown_correlation", f"CorrelationId {correlation} unknown")
        return sender

    def case_referrer(self) -> str | None:
        return self._case_referrer

    def case_participants(self) -> set[str]:
        case_ref = self._header.case_ref
        if case_ref is None:
            return set()
        connection = self._session.connection()
        senders = connection.scalars(_CASE_SENDERS, {"case_ref": case_ref})
        recipients = connection.scalars(_CASE_RECIPIENTS, {"case_ref": case_ref})
        return {*senders, *recipients, *filter(None, [self._case_referrer])}

    def case_category(self) -> str | None:
        return self._case.category if self._case is not None else None

    def decision_body(self) -> str | None:
        case = self._case
        if case is None or case.category is None:
            return None
        return self._regions.for_case(case.region).decision_partner(case.category)

    def plan_executors(self) -> list[str]:
        payload = self._payload
        if isinstance(payload, c.SupportPlan):
            return [action.responsible_agency for action in payload.actions]
        if isinstance(payload, c.ActionAssignment):
            return [payload.responsible_agency]
        return []

    @cached_property
    def _case(self) -> CaseFile | None:
        case_ref = self._header.case_ref
        return None if case_ref is None else find_case(self._session, case_ref)

    @cached_property
    def _case_referrer(self) -> str | None:
        """Who sent the referral the case was opened on: the messages on the case answer it."""
        case_ref = self._header.case_ref
        if case_ref is None:
            return None
        return self._session.connection().scalar(_CASE_REFERRER, {"case_ref": case_ref})
