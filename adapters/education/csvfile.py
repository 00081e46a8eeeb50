"""The CSV dialect of school exchange files: ``;``-separated, a header row, UTF-8 or cp1251.

Schools export from spreadsheets and school information systems. Newer ones write UTF-8,
often with a BOM (what Excel writes for "CSV UTF-8"); older ones write Windows-1251. A file
carries no label, so ``decode`` tries strict UTF-8 first and falls back to cp1251: cp1251
text with Cyrillic letters is almost never valid UTF-8 (its letters are bytes 0xC0–0xFF, which
in UTF-8 must be followed by continuation bytes), while UTF-8 text is never mistaken for
cp1251 because UTF-8 is tried first. Bytes invalid in both (cp1251 leaves 0x98 undefined)
reject the file.

The hub writes UTF-8 with a BOM unless a school's endpoint asks for cp1251. Cells that a
spreadsheet would run as a formula (``=``, ``@``, ``+``/``-`` before a letter) are written
with a leading apostrophe, which spreadsheets show as text and ``parse`` removes again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Final

from adapters.education.rows import Row, RowError, normalise

__all__ = ["DELIMITER", "ENCODINGS", "MAX_FILE_BYTES", "decode", "encode", "parse", "render"]

DELIMITER: Final = ";"
#: The encodings files are written in: UTF-8 (with a BOM) or Windows-1251.
ENCODINGS: Final = ("utf-8", "cp1251")
#: The largest exchange file read, in bytes: a school's report is a few hundred rows.
MAX_FILE_BYTES: Final = 5 * 1024 * 1024
_BOM: Final = "\ufeff"
_FORMULA_STARTS: Final = ("=", "@", "\t", "\r")


def decode(raw: bytes) -> str:
    """The text of a file: UTF-8 (a BOM is dropped) if it is valid UTF-8, else cp1251.

    Raises:
        RowError: row 1: the file is larger than ``MAX_FILE_BYTES`` or neither encoding.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise RowError(1, "", f"file larger than {MAX_FILE_BYTES} bytes")
    try:
        return raw.decode("utf-8").removeprefix(_BOM)
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1251")
    except UnicodeDecodeError:
        raise RowError(1, "", "neither UTF-8 nor Windows-1251 text") from None


def parse(raw: bytes, columns: Sequence[str]) -> list[Row]:
    """The data rows of a file, their cells keyed by the canonical spelling in ``columns``.

    Headers are matched as ``normalise`` does, so ``Дата Рождения`` is ``Дата рождения``;
    columns not in ``columns`` are ignored (schools add their own); a missing column is
    reported by the first row that needs it. Blank lines are skipped.

    Raises:
        RowError: the file cannot be decoded, has no header, repeats a header, or a row has
            more cells than the header.
    """
    text = decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER, strict=True)
    known = {normalise(column): column for column in columns}
    try:
        header = next(reader, None)
        if header is None:
            raise RowError(1, "", "empty file: no header row")
        names: list[str | None] = []
        for cell in header:
            name = known.get(normalise(cell))
            if name is not None and name in names:
                raise RowError(1, name, "column repeated")
            names.append(name)
        rows: list[Row] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            number = reader.line_num
            if len(cells) > len(names):
                raise RowError(number, "", f"{len(cells)} cells, header has {len(names)}")
            values = {
                name: _unescape(cell) for name, cell in zip(names, cells, strict=False) if name
            }
            rows.append(Row(number, values))
    except csv.Error as exc:
        raise RowError(reader.line_num, "", f"malformed CSV: {exc}") from None
    return rows


def render(rows: Sequence[Mapping[str, str]]) -> str:
    """CSV text of ``rows`` (all with the same columns, in order); the header is their keys."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    if rows:
        writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([_escape(value) for value in row.values()])
    return out.getvalue()


def encode(text: str, encoding: str) -> bytes:
    """``text`` as file bytes: ``utf-8`` gets a BOM (Excel needs it), ``cp1251`` does not.

    Raises:
        UnicodeEncodeError: a character ``encoding`` cannot carry.
    """
    if encoding == "utf-8":
        return (_BOM + text).encode("utf-8")
    return text.encode(encoding)


def _is_formula(value: str) -> bool:
    if value.startswith(_FORMULA_STARTS):
        return True
    # "+7 4152 …" is a phone and "-5" a number; "+A1" or "-A1" would be a formula.
    return value[:1] in ("+", "-") and len(value) > 1 and value[1].isalpha()


def _needs_quote(value: str) -> bool:
    # A value that already starts with apostrophes before a formula gets one more, so that
    # ``_unescape`` removing exactly one gives the value back.
    return _is_formula(value) or (value.startswith("'") and _needs_quote(value[1:]))


def _escape(value: str) -> str:
    return "'" + value if _needs_quote(value) else value


def _unescape(value: str) -> str:
    return value[1:] if value.startswith("'") and _needs_quote(value[1:]) else value
