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
- administrator: every case in every region, without personal data (no names,
  no free text): enough to steer delivery, not to read about a family.
"""

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    CURATOR = "curator"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"


#: Sensitivity classes a reader may be shown besides identity (see docs/catalogue.md).
ALL_CLASSES = frozenset({"health", "conduct", "social"})


@dataclass(frozen=True)
class Viewer:
    """A person reading case data, with the scope their account grants."""

    login: str
    display_name: str
    role: Role
    #: None only for administrators.
    region: str | None
    #: Partner system code of the person's agency (officers, curators).
    agency: str | None
    #: Strippable classes (health, conduct, social) this person may read.
    visible_classes: frozenset[str]
    #: A curator's staff id in the case owner's system: their cases are the ones it curates.
    staff_id: str | None = None

    @property
    def sees_identity(self) -> bool:
        """Names and other identity data: everyone but administrators."""
        return self.role is not Role.ADMINISTRATOR

    def sees(self, sensitivity_class: str) -> bool:
        if sensitivity_class == "identity":
            return self.sees_identity
        return sensitivity_class in self.visible_classes
