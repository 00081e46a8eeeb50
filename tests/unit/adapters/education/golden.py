"""Golden files of the education adapter.

``tests/data/native/education/inbox/<name>.csv`` are files as schools drop them (one in
cp1251); each message they hold is ``<name>.row<N>.xml`` beside it (canonical, unsigned).
``outbox/<name>.xml`` are canonical messages the hub sends to a school and ``<name>.csv``
the file the transport writes for each. ``python -m tests.unit.adapters.education.golden``
rewrites the XML of the inbox side and the CSV of the outbox side from the current code.
"""

from datetime import date, datetime
from pathlib import Path

from lxml import etree

from adapters.education import csvfile
from adapters.education.columns import FileKind, kind_of
from adapters.education.rows import Row
from adapters.education.translate import from_canonical, message_id_for, records, to_canonical
from schemas import canonical as c

ROOT = Path(__file__).parents[4] / "tests" / "data" / "native" / "education"
INBOX = ROOT / "inbox"
OUTBOX = ROOT / "outbox"
SCHOOL = "school-3"
#: When the gateway read the golden files: Kamchatka time (UTC+12).
NOW = datetime.fromisoformat("2026-03-20T16:00:00+12:00")
#: MessageIds of the golden inbox messages use a fixed digest, not the file's.
DIGEST = "golden"
CENTRE = "КГАУ СЗ «Камчатский комплексный центр социального обслуживания населения»"
ASSIGNMENT_ID = "7c1e9b20-5d3a-4f6e-8b21-0a9d4c3e2f18"
CURATOR = c.Curator(
    name=c.PersonName("Кузнецова", "Елена", "Павловна"),
    position="специалист по социальной работе",
    phone="+7 4152 20-11-01",
)
PSYCHOLOGIST = c.Specialist(
    name=c.PersonName("Белова", "Ирина", "Сергеевна"), position="педагог-психолог"
)


def inbox_files() -> list[Path]:
    return sorted(INBOX.glob("*.csv"))


def inbox_messages(path: Path) -> list[tuple[list[Row], etree._Element]]:
    """Each message of a golden inbox file: its rows and its envelope from the current code."""
    kind = file_kind(path)
    rows = csvfile.parse(path.read_bytes(), kind.columns)
    return [
        (
            group,
            to_canonical(
                kind,
                group,
                message_id=message_id_for(SCHOOL, path.name, DIGEST, group[0].number),
                now=NOW,
            ),
        )
        for group in records(kind, rows)
    ]


def file_kind(path: Path) -> FileKind:
    kind = kind_of(path.name)
    assert kind is not None, path
    return kind


def canonical_text(element: etree._Element) -> str:
    """C14N 2.0 with insignificant whitespace stripped."""
    return etree.canonicalize(etree.ElementTree(element), strip_text=True)


def outbound(payload: c.Payload, *, message_id: str, **header: str) -> etree._Element:
    return c.to_envelope(
        payload,
        message_id=message_id,
        sender="social",
        organisation=CENTRE,
        created_at=NOW,
        priority="routine",
        law="Федеральный закон от 24.06.1999 № 120-ФЗ",
        **header,
    )


def outbound_messages() -> dict[str, etree._Element]:
    """The canonical messages of the golden outbox files, by file stem."""
    plan = c.SupportPlan(
        plan_id="ИПСС-2026/031",
        version=2,
        period=c.Period(date(2026, 3, 20), date(2026, 9, 20)),
        approved_at=datetime.fromisoformat("2026-03-19T15:30:00+12:00"),
        curator=CURATOR,
        approved_by="Межведомственный консилиум Елизовского района",
        goals="Восстановить регулярное посещение школы",
        actions=(
            c.PlanAction(
                action_id="ИПСС-2026/031-3",
                measure="Обследование условий проживания",
                help_type="social",
                responsible_agency="social",
                deadline=date(2026, 3, 27),
            ),
            c.PlanAction(
                action_id="ИПСС-2026/031-4",
                measure="Занятия с педагогом-психологом, 1 раз в неделю",
                help_type="psychological",
                responsible_agency="education",
                deadline=date(2026, 6, 30),
                responsible_organisation=c.Organisation("МБОУ «Средняя школа № 3» г. Елизово"),
                specialist=PSYCHOLOGIST,
                notes="С согласия матери",
            ),
            c.PlanAction(
                action_id="ИПСС-2026/031-5",
                measure="Контроль посещаемости, ежедневно; =сообщать куратору о пропусках",
                help_type="pedagogical",
                responsible_agency="education",
                deadline=date(2026, 9, 20),
            ),
        ),
    )
    assignment = c.ActionAssignment(
        plan_id="ИПСС-2026/031",
        plan_version=2,
        action_id="ИПСС-2026/031-6",
        measure="Индивидуальные занятия по математике",
        help_type="pedagogical",
        responsible_agency="education",
        deadline=date(2026, 5, 29),
        comment="Отставание по программе 6 класса",
    )
    request = c.InformationRequest(
        request_id="ЗАП-2026/0088",
        requested_at=datetime.fromisoformat("2026-03-16T11:00:00+12:00"),
        subject="child",
        person=c.RequestedPerson(c.PersonName("Григорьев", "Артём", "Олегович"), date(2013, 9, 12)),
        questions="Успеваемость, посещаемость, поведение, контакт с родителями",
        purpose="Подготовка к межведомственному консилиуму",
        due_by=date(2026, 3, 23),
    )
    closure = c.CaseClosure(
        closed_at=datetime.fromisoformat("2026-09-21T10:00:00+12:00"),
        reason="goals_achieved",
        decision_body=c.DecisionBody("council", "Межведомственный консилиум Елизовского района"),
        post_support=c.Period(date(2026, 9, 22), date(2027, 3, 22)),
        comment="Посещаемость восстановлена",
    )
    receipt = c.ReferralReceipt(
        referral_message_id="5f0d3a1e-9b7c-4c2d-8e6f-1a2b3c4d5e6f",
        outcome="registered",
        received_at=datetime.fromisoformat("2026-03-14T13:10:00+12:00"),
        organisation=c.Organisation(CENTRE),
        registration_number="СРЦ-2026/0147",
        curator=CURATOR,
        comment="Семья принята на учёт, назначен куратор",
    )
    return {
        "plan": outbound(
            plan, message_id="1a4f6c2e-0b3d-4e5f-8a9b-7c6d5e4f3a21", case_ref="KAM-2026-0147"
        ),
        "assignment": outbound(
            assignment,
            message_id=ASSIGNMENT_ID,
            case_ref="KAM-2026-0147",
        ),
        "request": outbound(
            request,
            message_id="5d2f8a61-3c4b-4e7a-9f10-6b8c7d9e0a21",
            case_ref="KAM-2026-0147",
        ),
        "closure": outbound(
            closure,
            message_id="9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
            case_ref="KAM-2026-0147",
        ),
        "receipt": outbound(
            receipt,
            message_id="2b3c4d5e-6f70-4a1b-9c2d-3e4f5a6b7c8d",
            case_ref="KAM-2026-0147",
            correlation_id="5f0d3a1e-9b7c-4c2d-8e6f-1a2b3c4d5e6f",
        ),
    }


def outbound_file(envelope: etree._Element) -> tuple[str, bytes]:
    """The file name and bytes the transport writes for ``envelope``."""
    name, rows = from_canonical(envelope)
    return name, csvfile.encode(csvfile.render(rows), "utf-8")


def _regenerate() -> None:
    for path in inbox_files():
        for group, envelope in inbox_messages(path):
            path.with_name(f"{path.stem}.row{group[0].number}.xml").write_bytes(
                etree.tostring(envelope, pretty_print=True, xml_declaration=True, encoding="utf-8")
            )
    OUTBOX.mkdir(exist_ok=True)
    for stem, envelope in outbound_messages().items():
        (OUTBOX / f"{stem}.xml").write_bytes(
            etree.tostring(envelope, pretty_print=True, xml_declaration=True, encoding="utf-8")
        )
        (OUTBOX / f"{stem}.csv").write_bytes(outbound_file(envelope)[1])


if __name__ == "__main__":
    _regenerate()
