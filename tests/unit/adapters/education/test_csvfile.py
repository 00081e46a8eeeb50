"""The CSV dialect: encoding detection, headers, malformed files and formula-safe cells."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.education import csvfile
from adapters.education.rows import RowError

COLUMNS = ("Фамилия", "Дата рождения", "Комментарий")


def test_utf8_with_and_without_bom_and_cp1251_read_alike() -> None:
    text = "Фамилия;Дата рождения\r\nЁлкина;01.02.2013\r\n"
    for raw in (text.encode("utf-8"), ("\ufeff" + text).encode("utf-8"), text.encode("cp1251")):
        (row,) = csvfile.parse(raw, COLUMNS)
        assert row.values == {"Фамилия": "Ёлкина", "Дата рождения": "01.02.2013"}
        assert row.number == 2


def test_bytes_neither_utf8_nor_cp1251_reject_the_file() -> None:
    with pytest.raises(RowError) as caught:
        csvfile.parse(b"\xd4\xe0\xec\x98;x\r\n", COLUMNS)
    assert (caught.value.row, caught.value.column) == (1, "")
    assert caught.value.reason == "neither UTF-8 nor Windows-1251 text"


def test_headers_match_whatever_their_case_blanks_and_yo_and_extra_columns_are_ignored() -> None:
    raw = " фамилия ;ДАТА  РОЖДЕНИЯ;Внутренний код\r\nИванов;01.02.2013;17\r\n".encode()
    (row,) = csvfile.parse(raw, COLUMNS)
    assert row.values == {"Фамилия": "Иванов", "Дата рождения": "01.02.2013"}


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers() -> None:
    raw = "Фамилия\r\nА\r\n\r\n;\r\nБ\r\n".encode()
    assert [(r.number, r.values["Фамилия"]) for r in csvfile.parse(raw, COLUMNS)] == [
        (2, "А"),
        (5, "Б"),
    ]


@pytest.mark.parametrize(
    ("raw", "row", "column", "reason"),
    [
        (b"", 1, "", "empty file: no header row"),
        ("Фамилия;фамилия\r\n".encode(), 1, "Фамилия", "column repeated"),
        ("Фамилия\r\nА;Б\r\n".encode(), 2, "", "2 cells, header has 1"),
        (b"x" * (csvfile.MAX_FILE_BYTES + 1), 1, "", "file larger than 5242880 bytes"),
    ],
)
def test_a_malformed_file_is_refused_with_its_row(
    raw: bytes, row: int, column: str, reason: str
) -> None:
    with pytest.raises(RowError) as caught:
        csvfile.parse(raw, COLUMNS)
    assert (caught.value.row, caught.value.column, caught.value.reason) == (row, column, reason)


def test_a_cell_a_spreadsheet_would_run_is_written_as_text() -> None:
    text = csvfile.render(
        [{"Комментарий": '=HYPERLINK("http://x")'}, {"Комментарий": "+7 4152 20-11-01"}]
    )
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"")"'
    assert text.splitlines()[2] == "+7 4152 20-11-01"


@given(st.lists(st.text(alphabet=st.characters(codec="cp1251")), min_size=1, max_size=4))
def test_any_cells_come_back_as_written(values: list[str]) -> None:
    rows = [{"Комментарий": value, "Фамилия": "x"} for value in values]
    for encoding in csvfile.ENCODINGS:
        parsed = csvfile.parse(csvfile.encode(csvfile.render(rows), encoding), COLUMNS)
        # Rows of blank cells only are skipped, as schools' trailing lines are.
        expected = [r for r in rows if r["Комментарий"].strip() or r["Фамилия"].strip()]
        assert [dict(r.values) for r in parsed] == expected
