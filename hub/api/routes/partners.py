"""``GET /api/v1/partners/me``: the calling partner's own profile, as the hub knows it.

What a partner's engineers (and the conformance kit) need to check their setup: which types
it may send and receive under the routing rules, how it gets its messages, and when its
certificates and the API key it called with stop working.
"""

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from hub.access import PartnerDep, RuntimeDep, presented_api_key
from hub.api.deps import SessionDep
from hub.partners import presented_key_expiry
from hub.routing import RoutingRules
from hub.store import find_partner_certificates

router = APIRouter(prefix="/api/v1/partners", tags=["partners"])


class CertificateOut(BaseModel):
    fingerprint_sha256: str
    serial_hex: str
    not_after: datetime
    #: End of the overlap after a rotation; null while it is the current one.
    valid_until: datetime | None
    revoked_at: datetime | None


class PartnerProfileOut(BaseModel):
    code: str
    organisation: str
    #: ``push``: the hub delivers to the partner's endpoint; ``pull``: it polls its inbox.
    delivery_mode: str
    #: Message types it may send.
    may_send: list[str]
    #: Types the rules deliver to it whoever sends them (but itself).
    receives: list[str]
    #: Other types it receives when a message makes it a recipient: its case (the referrer,
    #: a plan's executor, the decision body), the message it answers, or a sender naming it.
    may_receive: list[str]
    #: Sensitivity classes its copies keep (identity always goes); the rest are removed.
    visible_classes: list[str]
    certificates: list[CertificateOut]
    #: When the API key of this request stops working; null until a rotation sets it.
    api_key_expires_at: datetime | None


@router.get("/me", response_model=PartnerProfileOut)
def my_profile(
    request: Request, partner: PartnerDep, runtime: RuntimeDep, session: SessionDep
) -> PartnerProfileOut:
    """The caller's own profile: code, organisation, what it may send and receive, its
    delivery mode, its certificates' fingerprints and expiry, its API key's expiry."""
    rules = runtime.rules
    receives, per_message = _receiving(rules, partner.code)
    key = presented_api_key(request)
    assert key is not None  # PartnerDep authenticated it
    return PartnerProfileOut(
        code=partner.code,
        organisation=partner.organisation,
        delivery_mode=partner.delivery_mode.value,
        may_send=sorted(t for t, r in rules.routes.items() if partner.code in r.senders),
        receives=receives,
        may_receive=per_message,
        visible_classes=sorted(rules.visible_to(partner.code)),
        certificates=[
            CertificateOut(
                fingerprint_sha256=c.fingerprint_sha256,
                serial_hex=c.serial_hex,
                not_after=c.not_after,
                valid_until=c.valid_until,
                revoked_at=c.revoked_at,
            )
            for c in find_partner_certificates(session, partner.code)
        ],
        api_key_expires_at=presented_key_expiry(session, key),
    )


def _receiving(rules: RoutingRules, code: str) -> tuple[list[str], list[str]]:
    """(types always routed to ``code``, types routed to it depending on the message)."""
    always, per_message = [], []
    for message_type, route in sorted(rules.routes.items()):
        if code in route.recipients:
            always.append(message_type)
        elif code in route.tokens or any(token.startswith("$") for token in route.tokens):
            per_message.append(message_type)
    return always, per_message
