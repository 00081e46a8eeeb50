"""Log records as one JSON object a line, carrying the message, case and delivery ids.

``hub serve`` and ``hub worker`` call ``configure_logging`` once at start. Code
logs with the standard library and passes its context as ``extra=``:
``_log.info("message accepted", extra={"message_id": …, "case_ref": …})``; every
such field becomes a key of the JSON object, so a log search for one message id
finds its acceptance, each delivery attempt and any dead letter. Fields hold ids,
codes and counts only: no names, no payload text.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Final, TextIO

__all__ = ["CONTEXT_FIELDS", "JsonFormatter", "TextFormatter", "configure_logging"]

#: The context fields named first, in this order, when a record carries them.
CONTEXT_FIELDS: Final = ("message_id", "case_ref", "delivery_id", "partner", "code")

#: Libraries whose INFO lines repeat what the hub logs itself.
_CHATTY_LIBRARIES: Final = ("httpx", "httpcore")

#: Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_RECORD_ATTRIBUTES: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
}


def _context_of(record: logging.LogRecord) -> dict[str, object]:
    extra = {
        key: value
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and value is not None
    }
    ordered: dict[str, object] = {key: extra.pop(key) for key in CONTEXT_FIELDS if key in extra}
    return {**ordered, **dict(sorted(extra.items()))}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", <context fields>…, "exc_type", "exc"}`` a line.

    ``ts`` is UTC ISO 8601 with milliseconds. Values that JSON cannot hold are
    written with ``str()``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_context_of(record),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``<ts> <LEVEL> <logger>: <message> key=value…`` for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{key}={value}" for key, value in _context_of(record).items())
        if not context:
            return line
        head, newline, rest = line.partition("\n")
        return f"{head} {context}{newline}{rest}"


def configure_logging(level: str, *, json: bool, stream: TextIO | None = None) -> logging.Handler:
    """Send every record at ``level`` or above to ``stream`` (stderr) as JSON or text.

    Replaces the root logger's handlers, so calling it again reconfigures rather
    than doubling lines. Returns the handler it installed.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request at INFO; the delivery attempt's own line already says it.
    quiet = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    for chatty in _CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(quiet)
    return handler
