"""Who is looking at case data, and what their role lets them see (need-to-know).

A ``Viewer`` is built by the web layer from a signed-in person; every case query
takes one and filters by it, so no page or endpoint can forget the scope.

- curator: the cases of their region whose curator they are — by the staff id the case
  owner's system gives its curator, never by name; everything on them;
- supervisor: every case of their region (those with no curator known included);
  everything on them;
- officer (an agency's officer): cases of their region where their agency has an
  action or sent the referral; only their agency's action lines and messages, and
  only the sensitivity classes the routing rules let their agency receive;
- the hub's own staff (``HUB_ROLES``: administrator, observer, operator, auditor): every
  case in every region, without personal data (no names, no free text): enough to steer
  delivery, not to read about a family. What each may do on the administrators' pages is
  ``ADMIN_READERS``, ``OPERATORS`` and ``EVIDENCE_ROLES``; only auditors, two of them
  (four eyes), get a message's unmasked original out of the hub.
"""

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    CURATOR = "curator"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    #: People accounts and operations; no unmasked evidence.
    ADMINISTRATOR = "administrator"
    #: A read-only operator: the administrators' pages and figures, changes nothing.
    OBSERVER = "observer"
    #: Steers delivery: replay (bulk too), pause and resume, cancel, stop a bulk replay.
    OPERATOR = "operator"
    #: Requests and approves exports of unmasked evidence (a second auditor approves).
    AUDITOR = "auditor"


#: The hub's staff: bound to no region, shown no personal data on any case page.
HUB_ROLES = frozenset({Role.ADMINISTRATOR, Role.OBSERVER, Role.OPERATOR, Role.AUDITOR})
#: May open the administrators' pages and read (masked) traces and figures.
ADMIN_READERS = (Role.ADMINISTRATOR, Role.OBSERVER, Role.OPERATOR, Role.AUDITOR)
#: May change delivery: replay, pause and resume, cancel, stop a bulk replay.
OPERATORS = (Role.ADMINISTRATOR, Role.OPERATOR)
#: May request, approve and download unmasked evidence (never their own request's approval).
EVIDENCE_ROLES = (Role.AUDITOR,)


#: Sensitivity classes a reader may be shown besides identity (see docs/catalogue.md).
ALL_CLASSES = frozenset({"health", "conduct", "social"})


@dataclass(frozen=True)
class Viewer:
    """A person reading case data, with the scope their account grants."""

    login: str
    display_name: str
    role: Role
    #: None only for the hub's staff (``HUB_ROLES``).
    region: str | None
    #: Partner system code of the person's agency (officers, curators).
    agency: str | None
    #: Strippable classes (health, conduct, social) this person may read.
    visible_classes: frozenset[str]
    #: A curator's staff id in the case owner's system: their cases are the ones it curates.
    staff_id: str | None = None

    @property
    def hub_wide(self) -> bool:
        """The hub's staff: every region's cases, masked."""
        return self.role in HUB_ROLES

    @property
    def may_operate(self) -> bool:
        """Replay, pause and resume, cancel, stop a bulk replay."""
        return self.role in OPERATORS

    @property
    def may_request_evidence(self) -> bool:
        """Request and approve unmasked evidence (four eyes)."""
        return self.role in EVIDENCE_ROLES

    @property
    def sees_identity(self) -> bool:
        """Names and other identity data: everyone but the hub's staff."""
        return not self.hub_wide

    def sees(self, sensitivity_class: str) -> bool:
        if sensitivity_class == "identity":
            return self.sees_identity
        return sensitivity_class in self.visible_classes
