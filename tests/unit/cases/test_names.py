"""Partner systems are named on the pages: agencies by their Russian name, organisations by
their registered one, and a code nobody registered by a phrase, never the code."""

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.cases.names import UNKNOWN_PARTNER, partner_name, partner_names
from hub.store import DeliveryMode, Partner

SCHOOL = "МАОУ «Средняя школа № 3»"


def test_agencies_organisations_and_strangers_each_get_a_name(
    session_factory: sessionmaker[Session],
) -> None:
    # Given the education agency's own system and one of its schools, registered
    with session_factory.begin() as session:
        for code, organisation in (("education", "Управление образования"), ("school-3", SCHOOL)):
            session.add(
                Partner(
                    code=code,
                    organisation=organisation,
                    adapter="education",
                    delivery_mode=DeliveryMode.PULL,
                    created_at=datetime(2026, 12, 1, tzinfo=UTC),
                )
            )

    # When the pages ask for their names
    with session_factory() as session:
        names = partner_names(session)

    # Then the agency goes by the agency's name, the school by its own, the hub by its own
    assert partner_name(names, "education") == "образование"
    assert partner_name(names, "school-3") == SCHOOL
    assert partner_name(names, "hub") == "межведомственный узел"
    assert partner_name(names, "school-99") == UNKNOWN_PARTNER
