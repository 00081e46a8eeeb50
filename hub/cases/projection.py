"""Keep each case's projection in step with its messages, in the message's own transaction.

For now the projection holds what routing needs — that the case exists and its
category once a decision body has recognised the family (СОП or ТЖС).
"""

from datetime import datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store import CaseFile
from schemas import EnvelopeHeader, payload_of


def find_case(session: Session, case_ref: str) -> CaseFile | None:
    return session.scalar(select(CaseFile).where(CaseFile.case_ref == case_ref))


def project_message(
    session: Session, header: EnvelopeHeader, envelope: etree._Element, *, now: datetime
) -> CaseFile | None:
    """Open or update the case the message belongs to; None for messages without a CaseRef.

    The caller holds the ingest lock, so two messages cannot open the same case at once.
    """
    if header.case_ref is None:
        return None
    case = find_case(session, header.case_ref)
    if case is None:
        case = CaseFile(case_ref=header.case_ref, opened_at=now, updated_at=now)
        session.add(case)
    case.updated_at = now
    if header.message_type == "CaseDecision":
        category = _recognised_category(payload_of(envelope))
        if category is not None:
            case.category = category
    return case


def _recognised_category(decision: etree._Element) -> str | None:
    if decision.findtext("{*}Outcome") != "recognised":
        return None
    return decision.findtext("{*}Category")
