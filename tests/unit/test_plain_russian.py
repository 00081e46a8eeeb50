"""The plain-Russian check (tests/plain_russian.py) finds codes, ids and English, and
passes Russian, numbers, dates and the allowed names."""

import pytest

from tests.plain_russian import latin_words, read_text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # What the case pages showed before: a priority tag, a deadline's key, an action
        # id, a conflict's code and English detail, a zone name.
        ("24.11.2026 15:30 routine", ["routine"]),
        ("периодический отчёт (education:2026-12-01)", ["education:2026-12-01"]),
        ("health: нет", ["health"]),
        ("исполнение мероприятия (A1)", ["A1"]),
        (
            "case.action_unknown — action A9 is not in plan",
            ["case.action_unknown", "action", "A9", "is", "not", "in", "plan"],
        ),
        ("Камчатский край, Asia/Kamchatka (UTC+12)", ["Asia/Kamchatka"]),
    ],
)
def test_codes_ids_and_english_are_found(text: str, found: list[str]) -> None:
    assert latin_words(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Срок 01.12.2026, просрочено: 2; детей: 3",
        "План ИПСС-2026-0001, версия 2",
        "МАОУ «Средняя школа № 3», 24.11.2026 15:30 (UTC+12)",
        "Скачать мероприятия таблицей (для Excel)",
        # A word with a Cyrillic letter is Russian, whatever else it holds.
        "ОМВД-2",
        "",
    ],
)
def test_russian_numbers_and_allowed_names_pass(text: str) -> None:
    assert latin_words(text) == []


def test_words_the_caller_allows_pass_and_no_others() -> None:
    # Given case numbers the social centre's system writes in Latin letters
    text = "Дело KAM-1, связано с KLG-7"

    # Then only those allowed pass
    assert latin_words(text, allowed={"KAM-1"}) == ["KLG-7"]


def test_the_read_text_of_a_page_is_its_text_and_the_attributes_people_read() -> None:
    page = """<!doctype html><html><head><title>Дело</title>
      <style>.a { color: red }</style><script src="/static/x.js">var hidden;</script></head>
      <body><p class="muted" data-code="case.closed">Снято <b>с учёта</b></p>
      <input placeholder="номер дела" name="q"><span title="hint">!</span>
      <svg><title>График</title><desc>нет данных</desc></svg></body></html>"""

    text = read_text(page)

    for seen in ("Дело", "Снято с учёта", "номер дела", "hint", "График", "нет данных"):
        assert seen in text
    # Class names, attribute codes, field names, styles and scripts are not read.
    assert latin_words(text) == ["hint"]
