"""Consent rules: which sensitivity classes a family's consent lets a copy carry.

Once a case has a ConsentRecord, the scopes in force (given, not expired) decide which
strippable classes later copies may carry, on top of each agency's visibility: a class
goes only where every scope it needs is given, except what the law lets an agency receive
without consent (the commission and the police under 120-ФЗ). Copies sent before a
withdrawal or narrowing are not recalled. The rules live in ``rules.yaml`` (``consent``).
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentRules:
    """What consent each class needs, and what each agency receives without consent."""

    #: Strippable class → the scopes a copy needs to carry it.
    needs: Mapping[str, frozenset[str]]
    #: Agency → the classes the law lets it receive without the family's consent.
    without_consent: Mapping[str, frozenset[str]]

    def allowed(self, agency: str, scopes: frozenset[str]) -> frozenset[str]:
        """The classes ``agency``'s copy may carry under the consent ``scopes`` in force."""
        consented = {name for name, needed in self.needs.items() if needed <= scopes}
        return frozenset(consented) | self.without_consent.get(agency, frozenset())
