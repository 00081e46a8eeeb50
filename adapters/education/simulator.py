"""A simulated school: its information system exchanging CSV files with the hub via its folder.

The school's gateway (``hub gateway run education --system file:///<root>/<school>``) shares
the folder with it: it writes the hub's files into ``outbox/`` and sends the school's files
from ``inbox/``, moving each to ``processed/`` or to ``rejected/`` beside its
``.errors.csv``. The school never talks to the hub. One background loop, every
``LOOP_INTERVAL_S``, does what the school's system does:

1. takes the files the gateway wrote into ``outbox/``, records each once per MessageId (the
   MessageId is in the file name) and moves it to ``archive/``;
2. for each action assigned to the school, drops a status file into ``inbox/``: accepted at
   once, done ``DONE_AFTER_S`` later; for each information request, an answer file;
3. notes which of its files the gateway has processed or rejected (with the report's rows).

Replies are queued in the state in the same write that records the received file, and
written into the inbox atomically, so a kill -9 loses none and a rewrite after a crash is
the same file (a duplicate at the hub).

Endpoints: ``POST /absences`` (a JSON list of pupils → an absence report CSV in the inbox,
cp1251 and UTF-8 in turn unless ``?encoding=cp1251|utf-8``), ``GET /state``,
``POST /control/outage`` (``{"failures": N}``: the school system is offline for N loops; the
hub's files wait in the outbox, its replies in the state).

Run: ``python -m adapters.education.simulator --port 8105 --state-dir var/education
--exchange-root var/exchange --school school-3 [--utc-offset +12:00]``, beside ``hub gateway
run education … --system file:///<absolute exchange root>/school-3``.

State (``state.json``)::

    {"received": {<message_id>: {"message_type", "kind", "file", "deliveries", "received_at",
                                 "case_ref", "rows"}},
     "replies": [{"file", "due_at", "encoding", "rows", "written"}],
     "processed": [<file name in processed/>],
     "rejected_files": [{"file", "moved_to", "errors": [{"row", "column", "reason"}]}],
     "absence_reports": 0}
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.education import columns as col
from adapters.education import csvfile
from adapters.education.folders import (
    ExchangeFolder,
    move_unique,
    ready_files,
    write_atomically,
)
from adapters.education.rows import RowError, format_date, format_moment
from adapters.simulation import (
    BackgroundLoop,
    OutageSwitch,
    State,
    StateStore,
    control_routes,
    count_by_type,
    lifespan_of,
    parse_options,
    serve,
)

__all__ = ["create_app", "main"]

_log = logging.getLogger(__name__)

#: How often the school system looks at its folders, in seconds.
LOOP_INTERVAL_S: Final = 0.2
#: How long after accepting an action the school reports it done, in seconds.
DONE_AFTER_S: Final = 1.0
#: The school the simulator plays.
SCHOOL_NAME: Final = "МБОУ «Средняя школа № 3» г. Елизово"
SOCIAL_PEDAGOGUE: Final = (
    "Соколова",
    "Марина",
    "Игоревна",
    "социальный педагог",
    "+7 41531 6-12-40",
)
PSYCHOLOGIST: Final = ("Белова", "Ирина", "Сергеевна", "педагог-психолог", "+7 41531 6-12-44")
#: The message type of each kind of file the hub writes (actions and notices: by a column).
_MESSAGE_TYPES: Final = {
    col.ABSENCES.prefix: "FamilyReferral",
    col.STATUSES.prefix: "ActionStatusUpdate",
    col.REPORT.prefix: "PeriodicReport",
    col.ANSWERS.prefix: "InformationResponse",
    col.REQUEST.prefix: "InformationRequest",
    col.CLOSURE.prefix: "CaseClosure",
}


def create_app(
    state_dir: Path,
    *,
    folder: ExchangeFolder,
    zone: tzinfo = timezone(timedelta(hours=12)),
) -> Starlette:
    """The school's web app; its folder loop runs while the app serves.

    The folder and its sub-folders are created if missing (the school's own disk).
    """
    folder.create()
    store = StateStore(
        state_dir / "state.json",
        {
            "received": {},
            "replies": [],
            "processed": [],
            "rejected_files": [],
            "absence_reports": 0,
        },
    )
    store.update(_upgrade)
    outage = OutageSwitch()

    def step() -> None:
        if outage.take() is not None:
            return
        _take_outbox(store, folder, zone)
        _write_due_replies(store, folder)
        store.update(lambda state: _note_handled(state, folder))

    async def post_absences(request: Request) -> Response:
        try:
            pupils = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"detail": "body is not JSON"}, 400)
        encoding = request.query_params.get("encoding")
        if (
            not isinstance(pupils, list)
            or not pupils
            or not all(isinstance(p, dict) for p in pupils)
            or encoding not in (None, *csvfile.ENCODINGS)
        ):
            return JSONResponse(
                {"detail": "expected a non-empty JSON list of pupils; ?encoding=cp1251|utf-8"},
                400,
            )
        written = store.update(lambda state: _absence_report(state, folder, zone, pupils, encoding))
        return JSONResponse(written, 202)

    def state_view() -> object:
        state = store.read()
        received = [
            {"message_id": message_id, **{k: v for k, v in entry.items() if k != "rows"}}
            for message_id, entry in state["received"].items()
        ]
        return {
            "received": received,
            "processed": state["processed"],
            "rejected_files": state["rejected_files"],
            "waiting": {
                "inbox": sorted(p.name for p in ready_files(folder.inbox, settle_s=0)),
                "outbox": sorted(p.name for p in ready_files(folder.outbox, settle_s=0)),
                "replies": [r["file"] for r in state["replies"] if not r["written"]],
            },
            "counts": {
                "received": count_by_type(received),
                "deliveries": sum(item["deliveries"] for item in received),
                "processed": len(state["processed"]),
                "rejected_files": len(state["rejected_files"]),
            },
        }

    return Starlette(
        routes=[
            Route("/absences", post_absences, methods=["POST"]),
            *control_routes(outage, state_view),
        ],
        lifespan=lifespan_of([BackgroundLoop("education-folders", step, LOOP_INTERVAL_S)]),
    )


# The hub's files: outbox → state → archive


def _take_outbox(store: StateStore, folder: ExchangeFolder, zone: tzinfo) -> None:
    for path in ready_files(folder.outbox, settle_s=0):
        kind = col.kind_of(path.name)
        try:
            if kind is None:
                raise RowError(1, "", "not a file kind the school knows")
            rows = [dict(row.values) for row in csvfile.parse(path.read_bytes(), kind.columns)]
        except RowError as exc:
            _log.warning("%s: unreadable (%s); archived as is", path.name, exc)
        else:
            store.update(
                functools.partial(_receive, name=path.name, kind=kind, rows=rows, zone=zone)
            )
        # Recorded first: a crash before the move re-reads the file, a duplicate by MessageId.
        move_unique(path, folder.archive)


def _receive(
    state: State, *, name: str, kind: col.FileKind, rows: list[dict[str, str]], zone: tzinfo
) -> None:
    message_id = name[: -len(".csv")].split("_", 1)[-1]
    received = state["received"]
    if message_id in received:
        received[message_id]["deliveries"] += 1
        return
    now = datetime.now(zone)
    received[message_id] = {
        "message_type": _message_type(kind, rows),
        "kind": kind.prefix,
        "file": name,
        "deliveries": 1,
        "received_at": now.isoformat(),
        "case_ref": (rows[0].get(col.CASE_REF) or None) if rows else None,
        "rows": rows,
    }
    if kind is col.ACTIONS:
        for status, due in (("принято", now), ("выполнено", now + timedelta(seconds=DONE_AFTER_S))):
            _queue_reply(
                state,
                f"statuses_{message_id}_{col.STATUSES_RU[status]}.csv",
                due,
                [_status_row(message_id, row, status, due, zone) for row in rows],
            )
    elif kind is col.REQUEST:
        _queue_reply(
            state, f"answers_{message_id}.csv", now, [_answer_row(message_id, rows[0], now, zone)]
        )


def _message_type(kind: col.FileKind, rows: Sequence[Mapping[str, str]]) -> str:
    if kind is col.ACTIONS and rows:
        documents = {label: type_ for type_, label in col.DOCUMENTS.items()}
        return documents.get(rows[0].get(col.DOCUMENT, ""), "SupportPlan")
    if kind is col.NOTICE and rows:
        notices = {label: type_ for type_, label in col.NOTICE_KINDS.items()}
        return notices.get(rows[0].get(col.NOTICE_KIND, ""), "ReferralReceipt")
    return _MESSAGE_TYPES.get(kind.prefix, kind.prefix)


def _status_row(
    message_id: str, action: Mapping[str, str], status: str, at: datetime, zone: tzinfo
) -> dict[str, str]:
    specialist = (
        PSYCHOLOGIST if action.get(col.HELP_TYPE) == "психологическая" else (SOCIAL_PEDAGOGUE)
    )
    done = status == "выполнено"
    return {
        col.CASE_REF: action.get(col.CASE_REF, ""),
        col.ASSIGNMENT_ID: message_id,
        col.PLAN_ID: action.get(col.PLAN_ID, ""),
        col.ACTION_ID: action.get(col.ACTION_ID, ""),
        col.STATUS: status,
        col.STATUS_AT: format_moment(at, zone),
        col.ORGANISATION: SCHOOL_NAME,
        **dict(zip(col.SPECIALIST.columns, specialist, strict=True)),
        col.PERIOD_FROM: format_date(at.astimezone(zone).date()),
        col.PERIOD_TO: format_date(at.astimezone(zone).date()) if done else "",
        col.COMMENT: "Мероприятие выполнено" if done else "Мероприятие принято к исполнению",
        col.EVIDENCE: f"Журнал социального педагога, запись от {format_date(at.date())}"
        if done
        else "",
    }


def _answer_row(
    message_id: str, request: Mapping[str, str], at: datetime, zone: tzinfo
) -> dict[str, str]:
    return {
        col.CASE_REF: request.get(col.CASE_REF, ""),
        col.REQUEST_MESSAGE_ID: message_id,
        col.REQUEST_ID: request.get(col.REQUEST_ID, ""),
        col.RESPONDED_AT: format_moment(at, zone),
        col.ORGANISATION: SCHOOL_NAME,
        col.ANSWER: "Обучается в школе; успеваемость удовлетворительная, пропуски без "
        "уважительной причины с февраля. Классный руководитель на связи с семьёй.",
        col.HEALTH: "",
        col.CONDUCT: "",
        col.ATTACHMENTS: "Характеристика классного руководителя",
    }


# The school's files: replies and absence reports → inbox


def _queue_reply(state: State, name: str, due: datetime, rows: list[dict[str, str]]) -> None:
    state["replies"].append(
        {
            "file": name,
            "due_at": due.isoformat(),
            "encoding": "utf-8",
            "rows": rows,
            "written": False,
        }
    )


def _write_due_replies(store: StateStore, folder: ExchangeFolder) -> None:
    now = datetime.now(UTC)
    for index, reply in enumerate(store.read()["replies"]):
        if reply["written"] or datetime.fromisoformat(reply["due_at"]) > now:
            continue
        data = csvfile.encode(csvfile.render(reply["rows"]), reply["encoding"])
        write_atomically(folder.inbox / reply["file"], data)
        store.update(functools.partial(_mark_written, index=index))


def _mark_written(state: State, *, index: int) -> None:
    state["replies"][index]["written"] = True


def _absence_report(
    state: State,
    folder: ExchangeFolder,
    zone: tzinfo,
    pupils: list[dict[str, object]],
    encoding: str | None,
) -> dict[str, object]:
    number = state["absence_reports"] + 1
    state["absence_reports"] = number
    # Old school systems write cp1251, newer ones UTF-8: alternate unless asked.
    encoding = encoding or ("cp1251" if number % 2 else "utf-8")
    now = datetime.now(zone)
    rows = [_absence_row(folder.school, now, number, i, pupil) for i, pupil in enumerate(pupils)]
    name = f"absences_{now:%Y-%m-%d}_{number:03d}.csv"
    # Written inside the state update: a failed write leaves the counter as it was.
    write_atomically(folder.inbox / name, csvfile.encode(csvfile.render(rows), encoding))
    return {"file": name, "encoding": encoding, "rows": len(rows)}


def _absence_row(
    school: str, now: datetime, report: int, index: int, pupil: Mapping[str, object]
) -> dict[str, str]:
    address = pupil.get("address")
    parent = pupil.get("parent")
    place = address if isinstance(address, dict) else {}
    adult = parent if isinstance(parent, dict) else {}
    return {
        col.REFERRAL_ID: f"{school}-{now.year}/{report:03d}-{index + 1}",
        col.DETECTED_AT: format_moment(now, now.tzinfo or UTC),
        col.ORGANISATION: SCHOOL_NAME,
        **dict(zip(col.SPECIALIST.columns, SOCIAL_PEDAGOGUE, strict=True)),
        col.CHILD.last: _cell(pupil, "last_name"),
        col.CHILD.first: _cell(pupil, "first_name"),
        col.CHILD.middle: _cell(pupil, "middle_name"),
        col.BIRTH_DATE: _day(pupil, "birth_date"),
        col.SEX_COLUMN: _cell(pupil, "sex"),
        col.CLASS: _cell(pupil, "class"),
        col.REGION: _cell(place, "region"),
        col.DISTRICT: _cell(place, "district"),
        col.LOCALITY: _cell(place, "locality"),
        col.STREET: _cell(place, "street"),
        col.HOUSE: _cell(place, "house"),
        col.FLAT: _cell(place, "flat"),
        col.PARENT.last: _cell(adult, "last_name"),
        col.PARENT.first: _cell(adult, "first_name"),
        col.PARENT.middle: _cell(adult, "middle_name"),
        col.PARENT_BIRTH_DATE: _day(adult, "birth_date"),
        col.KINSHIP_COLUMN: _cell(adult, "kinship"),
        col.PARENT.phone: _cell(adult, "phone"),
        col.LESSONS_MISSED: _cell(pupil, "lessons_missed"),
        col.ABSENT_FROM: _day(pupil, "absent_from"),
        col.ABSENT_TO: _day(pupil, "absent_to"),
        col.URGENT: "да" if pupil.get("urgent") is True else "нет",
        col.NOTE: _cell(pupil, "note"),
    }


def _cell(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value)


def _day(record: Mapping[str, object], key: str) -> str:
    """An ISO date as the school writes it (``ДД.ММ.ГГГГ``); anything else as given."""
    value = _cell(record, key)
    try:
        return format_date(datetime.strptime(value, "%Y-%m-%d").date())
    except ValueError:
        return value


# What the gateway made of the school's files → state


def _note_handled(state: State, folder: ExchangeFolder) -> None:
    """Record the files the gateway moved to ``processed/`` or ``rejected/`` (with the rows,
    columns and reasons of its report) since the last look."""
    processed = set(state["processed"])
    for path in sorted(folder.processed.glob("*.csv")):
        if path.name not in processed:
            state["processed"].append(path.name)
    rejected = {entry["moved_to"] for entry in state["rejected_files"]}
    for path in sorted(folder.rejected.glob("*.csv")):
        if path.name in rejected or path.name.endswith(col.ERRORS_SUFFIX):
            continue
        report = path.with_name(path.name + col.ERRORS_SUFFIX)
        rows = csvfile.parse(report.read_bytes(), col.REPORT_COLUMNS) if report.exists() else []
        state["rejected_files"].append(
            {
                "file": path.name,
                "moved_to": path.name,
                "errors": [
                    {
                        "row": int(row.values[col.REPORT_COLUMNS[0]]),
                        "column": row.values[col.REPORT_COLUMNS[1]],
                        "reason": row.values[col.REPORT_COLUMNS[2]],
                    }
                    for row in rows
                ],
            }
        )


def _upgrade(state: State) -> None:
    """A state file from before the gateway listed the messages it sent itself; the
    gateway's folders now say what became of each file."""
    state.pop("sent", None)
    state.setdefault("processed", [])


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m adapters.education.simulator``.

    Beside the shared options: ``--exchange-root DIR``, ``--school CODE`` and
    ``--utc-offset ±HH:MM`` (the school's time zone, default +12:00).
    """
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--exchange-root", type=Path, required=True)
    extra.add_argument("--school", required=True)
    extra.add_argument("--utc-offset", default="+12:00")
    options, rest = extra.parse_known_args(argv)
    try:
        offset = datetime.strptime(options.utc_offset, "%z").utcoffset()
    except ValueError:
        extra.error(f"--utc-offset: expected ±HH:MM, got {options.utc_offset!r}")
    assert offset is not None
    shared = parse_options(rest, description=__doc__.splitlines()[0], gateway=False)
    folder = ExchangeFolder.of(options.exchange_root.resolve(), options.school)
    serve(create_app(shared.state_dir, folder=folder, zone=timezone(offset)), shared)


if __name__ == "__main__":
    main()
