"""Answers to routing's questions about one message, read from the log and the case projection."""

from functools import cached_property

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cases import find_case
from hub.errors import Rejection
from hub.store import MessageLog, OutboxDelivery
from schemas import EnvelopeHeader, payload_of


class MessageFacts:
    """``RoutingFacts`` for one message; each answer is looked up once, only if asked."""

    def __init__(self, session: Session, header: EnvelopeHeader, envelope: etree._Element) -> None:
        self._session = session
        self._header = header
        self._envelope = envelope

    def correlated_sender(self) -> str | None:
        correlation = self._header.correlation_id
        if correlation is None:
            return None
        sender = self._session.scalar(
            select(MessageLog.sender).where(MessageLog.message_id == correlation).limit(1)
        )
        if sender is None:
            raise Rejection("routing.unknown_correlation", f"CorrelationId {correlation} unknown")
        return sender

    def case_referrer(self) -> str | None:
        return self._case_referrer

    def case_participants(self) -> set[str]:
        case_ref = self._header.case_ref
        if case_ref is None:
            return set()
        on_case = select(MessageLog.id).where(MessageLog.case_ref == case_ref)
        senders = self._session.scalars(
            select(MessageLog.sender).where(MessageLog.case_ref == case_ref).distinct()
        )
        recipients = self._session.scalars(
            select(OutboxDelivery.recipient)
            .where(OutboxDelivery.message_log_id.in_(on_case))
            .distinct()
        )
        return {*senders, *recipients, *filter(None, [self._case_referrer])}

    def case_category(self) -> str | None:
        if self._header.case_ref is None:
            return None
        case = find_case(self._session, self._header.case_ref)
        return case.category if case is not None else None

    def payload_values(self, element: str) -> list[str]:
        payload = payload_of(self._envelope)
        texts = payload.itertext(f"{{*}}{element}")
        return [text.strip() for text in texts if isinstance(text, str) and text.strip()]

    @cached_property
    def _case_referrer(self) -> str | None:
        """Who sent the referral the case was opened on: the messages on the case answer it."""
        case_ref = self._header.case_ref
        if case_ref is None:
            return None
        answered = select(MessageLog.correlation_id).where(
            MessageLog.case_ref == case_ref, MessageLog.correlation_id.is_not(None)
        )
        return self._session.scalar(
            select(MessageLog.sender)
            .where(MessageLog.message_type == "FamilyReferral", MessageLog.message_id.in_(answered))
            .order_by(MessageLog.id)
            .limit(1)
        )
