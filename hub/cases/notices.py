"""The hub's overdue notice: an ActionStatusUpdate "overdue" to the curator and the executor.

Built here, sent by the wiring through ``Ingestor.originate`` so it is signed,
logged, projected and delivered like any partner's message. Its MessageId is
derived from the action and its deadline, so however often a worker retries or
restarts, each deadline passing sends one notice.
"""

import uuid
from datetime import datetime

from lxml import etree

from hub.store import CaseAction, CaseDeadline, CaseFile
from schemas import COMMON_NS, EnvelopeHeader, build_envelope, payload_namespace
from signing import HUB_SYSTEM_CODE

#: The organisation the hub's notices name as their sender.
HUB_ORGANISATION = "Межведомственный узел обмена данными"
#: The case owner (the curator's system), told of every overdue action.
CASE_OWNER = "social"
#: The law under which the hub tells agencies about the plan they execute.
NOTICE_LAW = "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 9"
_NOTICES = uuid.UUID("6f1c1d0e-8a55-4d8e-9a44-0b7e1f0c2a11")


def notice_id(case: CaseFile, deadline: CaseDeadline) -> str:
    """The same id for the same action and deadline, on every worker and after restarts."""
    key = f"overdue:{case.case_ref}:{deadline.subject}:{deadline.due_at.isoformat()}"
    return str(uuid.uuid5(_NOTICES, key))


def overdue_notice(
    case: CaseFile, action: CaseAction, deadline: CaseDeadline, *, now: datetime
) -> etree._Element:
    """The unsigned envelope telling the curator and the executor that ``action`` is late."""
    ns = payload_namespace("ActionStatusUpdate", "1.0")
    # lxml-stubs type nsmap keys as str; None (the default namespace) is what lxml expects.
    nsmap = {None: ns, "c": COMMON_NS}
    update = etree.Element(f"{{{ns}}}ActionStatusUpdate", nsmap=nsmap)  # type: ignore[arg-type]
    _add(update, ns, "ActionId", action.action_id)
    _add(update, ns, "PlanId", action.plan_id)
    _add(update, ns, "Status", "overdue")
    _add(update, ns, "StatusAt", now.isoformat(timespec="seconds"))
    organisation = etree.SubElement(update, f"{{{ns}}}ResponsibleOrganisation")
    _add(
        organisation,
        COMMON_NS,
        "Name",
        action.responsible_organisation or action.responsible_agency,
    )
    _add(
        update,
        ns,
        "Comment",
        f"Срок исполнения мероприятия ({action.deadline:%d.%m.%Y}) истёк, "
        "отметка о выполнении не поступила",
    )
    header = EnvelopeHeader(
        message_id=notice_id(case, deadline),
        message_type="ActionStatusUpdate",
        schema_version="1.0",
        sender=HUB_SYSTEM_CODE,
        sender_organisation=HUB_ORGANISATION,
        recipients=_recipients(case, action),
        created_at=now,
        priority="routine",
        case_ref=case.case_ref,
        correlation_id=None,
        law=NOTICE_LAW,
        consent_ref=None,
    )
    return build_envelope(header, update)


def _recipients(case: CaseFile, action: CaseAction) -> tuple[str, ...]:
    """The curator's system and the executor; the commission too for a СОП case."""
    commission = ("kdn",) if case.category == "sop" else ()
    return tuple(dict.fromkeys((CASE_OWNER, action.responsible_agency, *commission)))


def _add(parent: etree._Element, ns: str, name: str, value: str) -> None:
    etree.SubElement(parent, f"{{{ns}}}{name}").text = value
