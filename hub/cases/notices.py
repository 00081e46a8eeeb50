"""The hub's notices: an action overdue (to the curator and the executor), a signal
unacknowledged, a message not delivered in time (to its sender).

Built here as a canonical ``ActionStatusUpdate``, sent by the wiring through
``Ingestor.originate`` so it is signed, logged, projected and delivered like any
partner's message. Who is told comes from the case's region: its case owner (the
curators' system), the executor, and for a СОП case the partner of the body that
decides СОП there. Its MessageId is random (a partner cannot take it first); its key,
derived from the action and its deadline and stored with it, makes each deadline passing
send one notice however often a worker retries or restarts. An urgent referral the case
owner has not acknowledged by its deadline gets one reminder to the owner the same way, and
a message that has not reached a recipient within its time to deliver gets one non-delivery
notice (a DeliveryReceipt ``not_delivered``) to its sender per recipient.
"""

import uuid
from datetime import datetime, timedelta

from lxml import etree

from hub.cases.labels import AGENCY_LABELS, label
from hub.regions import Region
from hub.store import (
    CaseAction,
    CaseDeadline,
    CaseFile,
    CaseReferral,
    DeliveryStatus,
    MessageLog,
    OutboxDelivery,
)
from schemas import canonical as c
from signing import HUB_SYSTEM_CODE

#: The organisation the hub's notices name as their sender.
HUB_ORGANISATION = "Межведомственный узел обмена данными"
#: The law under which the hub tells agencies about the plan they execute.
NOTICE_LAW = "Федеральный закон от 24.06.1999 № 120-ФЗ, ст. 9"


def notice_key(case: CaseFile, deadline: CaseDeadline) -> str:
    """The same key for the same action and deadline, on every worker and after restarts."""
    return f"overdue:{case.case_ref}:{deadline.subject}:{deadline.due_at.isoformat()}"


#: A reminder's key: this prefix and the referral's MessageId.
RECEIPT_NOTICE_PREFIX = "receipt:"


def receipt_notice_key(referral: CaseReferral) -> str:
    """The key of the one reminder about ``referral``'s missing receipt."""
    return RECEIPT_NOTICE_PREFIX + referral.message_id


def unacknowledged_signal_notice(
    referral: CaseReferral, *, region: Region, now: datetime
) -> etree._Element:
    """The unsigned envelope asking ``region``'s case owner to acknowledge an urgent signal.

    An InformationRequest from the hub, the one message type the case owner's system takes
    from anyone: it names the referral (its id and when it arrived), not the family.
    """
    local = region.calendar
    request = c.InformationRequest(
        request_id=f"receipt-{referral.message_id}",
        requested_at=now.replace(microsecond=0),
        subject="family",
        questions=(
            f"Срочное обращение № {referral.referral_id}, поступившее "
            f"{local.local(referral.received_at):%d.%m.%Y %H:%M}, не подтверждено: срок "
            f"подтверждения истёк {local.local(referral.receipt_due_at):%d.%m.%Y %H:%M}. "
            "Подтвердите получение и назначьте куратора."
        ),
        purpose="Контроль срока подтверждения срочного обращения",
        due_by=local.local(now + timedelta(hours=1)).date(),
    )
    return _from_hub(request, now=now, priority="urgent", recipients=(region.case_owner,))


def overdue_notice(
    case: CaseFile, action: CaseAction, *, region: Region, now: datetime
) -> etree._Element:
    """The unsigned envelope telling ``region``'s curators and the executor ``action`` is late."""
    update = c.ActionStatusUpdate(
        action_id=action.action_id,
        plan_id=action.plan_id,
        status="overdue",
        # Whole seconds: a notice states when the hub noticed, not a measurement.
        status_at=now.replace(microsecond=0),
        # A name, never the executor's partner code: it shows in the action's history.
        organisation=c.Organisation(
            name=action.responsible_organisation or label(AGENCY_LABELS, action.responsible_agency)
        ),
        comment=(
            f"Срок исполнения мероприятия ({action.deadline:%d.%m.%Y}) истёк, "
            "отметка о выполнении не поступила"
        ),
    )
    return _from_hub(
        update,
        now=now,
        priority="routine",
        case_ref=case.case_ref,
        recipients=_recipients(case, action, region),
    )


def _from_hub(
    payload: c.Payload,
    *,
    now: datetime,
    priority: str,
    case_ref: str | None = None,
    correlation_id: str | None = None,
    recipients: tuple[str, ...] = (),
) -> etree._Element:
    """The unsigned envelope of one of the hub's notices; its MessageId is random."""
    return c.to_envelope(
        payload,
        message_id=str(uuid.uuid4()),
        sender=HUB_SYSTEM_CODE,
        organisation=HUB_ORGANISATION,
        created_at=now,
        priority=priority,
        law=NOTICE_LAW,
        case_ref=case_ref,
        correlation_id=correlation_id,
        recipients=recipients,
    )


def _recipients(case: CaseFile, action: CaseAction, region: Region) -> tuple[str, ...]:
    """The case owner and the executor (the organisation named in the plan, if one was);
    the body deciding СОП too for a СОП case."""
    commission = (region.decision_partner("sop"),) if case.category == "sop" else ()
    return tuple(dict.fromkeys((region.case_owner, action.executor, *commission)))


def non_delivery_notice(
    delivery: OutboxDelivery, message: MessageLog, *, deadline: timedelta, now: datetime
) -> etree._Element:
    """The unsigned DeliveryReceipt 1.1 telling ``message``'s sender that it had not reached
    ``delivery``'s recipient within ``deadline`` of its acceptance.

    Correlated with the message, so routing (``$correlated_sender``) sends it to the sender
    alone, in the message's lane. No CaseRef: a technical receipt, as a partner's is.
    """
    due = message.received_at + deadline
    state = (
        "доставка остановлена и ждёт оператора узла"
        if delivery.status == DeliveryStatus.DEAD
        else "узел продолжает доставку"
    )
    receipt = c.DeliveryReceipt(
        delivered_message_id=message.message_id,
        recipient=delivery.recipient,
        outcome=c.NOT_DELIVERED,
        at=now.replace(microsecond=0),
        reason=(
            f"Сообщение не доставлено получателю за {_duration(deadline)} "
            f"(срок истёк {due:%d.%m.%Y %H:%M} UTC); {state}"
        ),
    )
    return _from_hub(receipt, now=now, priority=message.priority, correlation_id=message.message_id)


def _duration(deadline: timedelta) -> str:
    """``72 ч`` or ``90 мин``: the time to deliver as the rules wrote it."""
    minutes = int(deadline.total_seconds()) // 60
    return f"{minutes // 60} ч" if minutes % 60 == 0 else f"{minutes} мин"
