"""From an account to a ``Viewer``: the scope every case query of that person takes.

Curators and supervisors work with whole cases and see every sensitivity class;
an agency's officer sees only the classes the routing rules let their agency
receive; administrators steer delivery and see no personal data at all.
"""

from hub.cases.scope import ALL_CLASSES, Role, Viewer
from hub.routing import RoutingRules
from hub.store import Person


def viewer_for(person: Person, rules: RoutingRules) -> Viewer:
    """The scope of ``person``'s account under ``rules``."""
    role = Role(person.role)
    if role in (Role.CURATOR, Role.SUPERVISOR):
        visible = ALL_CLASSES
    elif role is Role.OFFICER and person.agency is not None:
        visible = rules.visible_to(person.agency) & ALL_CLASSES
    else:
        visible = frozenset()
    return Viewer(
        login=person.login,
        display_name=person.display_name,
        role=role,
        region=person.region,
        agency=person.agency,
        visible_classes=visible,
        staff_id=person.staff_id if role is Role.CURATOR else None,
    )
