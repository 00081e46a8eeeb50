"""The demo's families: fictional people in the police system's native record format.

KUSP numbers carry the run's stamp, so every demo run sends new referrals
(the police adapter derives MessageIds from them).
"""

from datetime import datetime, timedelta

_OFFICER = {
    "surname": "Сорокина",
    "name": "Анна",
    "patronymic": "Викторовна",
    "position": "инспектор ПДН, капитан полиции",
    "phone": "+7 (4152) 41-00-00",
}
_UNIT = "ОМВД России по г. Петропавловску-Камчатскому"
#: The police system is federal: the same one refers a family in the hub's second region.
_KALUGA_OFFICER = {
    "surname": "Ершова",
    "name": "Марина",
    "patronymic": "Олеговна",
    "position": "инспектор ПДН, старший лейтенант полиции",
    "phone": "+7 (4842) 50-00-00",
}
_KALUGA_UNIT = "УМВД России по г. Калуге"


def _address(
    street: str,
    house: str,
    flat: str,
    region: str = "Камчатский край",
    city: str = "г. Петропавловск-Камчатский",
) -> dict[str, str]:
    return {
        "region": region,
        "city": city,
        "street": street,
        "house": house,
        "flat": flat,
    }


def police_records(stamp: str, now: datetime) -> list[dict[str, object]]:
    """Three signals of a night shift: two in Kamchatka (the second urgent), one in Kaluga."""
    at = [(now - timedelta(hours=h)).isoformat(timespec="seconds") for h in (6, 2, 1)]
    return [
        {
            "kusp_number": f"КУСП-{stamp}-01",
            "registered_at": at[0],
            "unit": _UNIT,
            "department": "ПДН",
            "officer": _OFFICER,
            "received_via": "сообщение школы",
            "address": _address("ул. Ключевская", "17", "42"),
            "parents": [
                {"surname": "Вершинина", "name": "Ольга", "patronymic": "Сергеевна",
                 "birth_date": "1991-03-14", "kinship": "мать", "phone": "+7 900 000-00-01"},
            ],
            "children": [
                {"surname": "Вершинин", "name": "Артём", "patronymic": "Игоревич",
                 "birth_date": "2014-05-02", "sex": "М",
                 "institution": {"type": "школа", "name": "МАОУ «Средняя школа № 3»"}},
                {"surname": "Вершинина", "name": "Дарья", "patronymic": "Игоревна",
                 "birth_date": "2017-09-21", "sex": "Ж",
                 "institution": {"type": "школа", "name": "МАОУ «Средняя школа № 3»"}},
            ],
            "grounds": ["truancy", "neglect"],
            "urgent": False,
            "circumstances": "Дети систематически пропускают занятия, "
            "мать на контакт со школой не выходит.",
        },
        {
            "kusp_number": f"КУСП-{stamp}-02",
            "registered_at": at[1],
            "unit": _UNIT,
            "department": "ПДН",
            "officer": _OFFICER,
            "received_via": "вызов",
            "address": _address("пр. Победы", "5", "118"),
            "parents": [
                {"surname": "Кравец", "name": "Николай", "patronymic": "Петрович",
                 "birth_date": "1986-11-30", "kinship": "отец"},
                {"surname": "Кравец", "name": "Светлана", "patronymic": "Андреевна",
                 "birth_date": "1989-02-08", "kinship": "мать"},
            ],
            "children": [
                {"surname": "Кравец", "name": "Мирон", "patronymic": "Николаевич",
                 "birth_date": "2021-07-15", "sex": "М"},
                {"surname": "Кравец", "name": "Алиса", "patronymic": "Николаевна",
                 "birth_date": "2023-12-01", "sex": "Ж"},
                {"surname": "Кравец", "name": "Ева", "patronymic": "Николаевна",
                 "birth_date": "2025-10-19", "sex": "Ж"},
            ],
            "grounds": ["alcohol", "neglect"],
            "urgent": True,
            "circumstances": "По вызову соседей: родители в состоянии опьянения, "
            "трое малолетних детей без присмотра, в квартире холодно.",
        },
        {
            "kusp_number": f"КУСП-{stamp}-03",
            "registered_at": at[2],
            "unit": _KALUGA_UNIT,
            "department": "ПДН",
            "officer": _KALUGA_OFFICER,
            "received_via": "сообщение граждан",
            "address": _address(
                "ул. Кирова", "40", "7", region="Калужская область", city="г. Калуга"
            ),
            "parents": [
                {"surname": "Шестакова", "name": "Инна", "patronymic": "Романовна",
                 "birth_date": "1995-06-23", "kinship": "мать"},
            ],
            "children": [
                {"surname": "Шестаков", "name": "Кирилл", "patronymic": "Денисович",
                 "birth_date": "2012-01-17", "sex": "М",
                 "institution": {"type": "школа", "name": "МБОУ «Основная школа № 12»"}},
            ],
            "grounds": ["conflict"],
            "urgent": False,
            "circumstances": "Соседи сообщают о частых ссорах в семье, "
            "подросток поздно вечером один на улице.",
        },
    ]  # fmt: skip
