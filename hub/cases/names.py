"""How the case pages name a partner system: an agency's own system by the agency's Russian
name, an organisation of an agency (a school, a hospital) by the name it was registered with.

Messages, deliveries and deadlines carry partner codes (``police``, ``school-3``); a
curator or officer reads names. Organisation names are not personal data, so every
viewer gets the same map.
"""

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.cases.labels import AGENCY_LABELS
from hub.store import Partner

#: Shown for a code no partner is registered with (one removed since it sent a message).
UNKNOWN_PARTNER = "система ведомства, не зарегистрированная в узле"


def partner_names(session: Session) -> dict[str, str]:
    """Every registered partner's name by code, and every agency's (the hub's too).

    An agency's own system goes by the agency's name (``AGENCY_LABELS``), as the pages
    name agencies elsewhere; any other partner (an organisation, or an agency added
    later without a label) by the organisation it was registered with.
    """
    names = dict(AGENCY_LABELS)
    for code, organisation in session.execute(select(Partner.code, Partner.organisation)):
        names.setdefault(code, organisation)
    return names


def partner_name(names: Mapping[str, str], code: str) -> str:
    """The name of partner ``code`` in ``names`` (from ``partner_names``)."""
    return names.get(code, UNKNOWN_PARTNER)
