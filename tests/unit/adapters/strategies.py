"""Hypothesis strategies for the partners' native records, within what the XSDs admit."""

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

names = st.from_regex(r"[А-ЯЁ][а-яё]{1,11}(-[А-ЯЁ][а-яё]{1,11})?", fullmatch=True)
# xs:token collapses runs of blanks, so generated text has single inner spaces only.
texts = st.from_regex(r"[А-Яа-яЁё0-9№«»]{1,10}( [А-Яа-яЁё0-9.,«»]{1,10}){0,4}", fullmatch=True)
phones = st.from_regex(r"\+7 [0-9]{3,5} [0-9]{2,3}-[0-9]{2}-[0-9]{2}", fullmatch=True)
identifiers = st.from_regex(r"[А-ЯA-Z]{2,4}-20[0-9]{2}[-/][0-9]{4,6}", fullmatch=True)
uuids = st.uuids().map(str)
birth_dates = st.dates(date(1950, 1, 1), date(2026, 1, 1)).map(date.isoformat)
# Regions span UTC+2 … UTC+12; stored with whole-hour offsets, as the partners send them.
moments = st.builds(
    lambda moment, hours: moment.replace(tzinfo=timezone(timedelta(hours=hours))).isoformat(),
    st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.integers(2, 12),
)
