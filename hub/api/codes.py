"""The code reference for partners, ``docs/partners/codes.md``, made from the catalogue.

``python -m hub.api.codes [PATH]`` writes it (default ``docs/partners/codes.md``); a test
checks the file in the repository is current, so the page and ``hub.errors.CODES`` never
disagree. Russian first, then English, as partner-facing pages are.
"""

import sys
from pathlib import Path

from hub.errors import CODES, RejectionKind, Stage

DEFAULT_PATH = Path("docs/partners/codes.md")

_INTRO = """\
# Коды ответов узла — Hub answer codes

<!-- Сгенерировано из hub/errors.py командой `python -m hub.api.codes`; не правьте вручную. -->
<!-- Generated from hub/errors.py by `python -m hub.api.codes`; do not edit by hand. -->

Каждый отказ узла — ответ `application/problem+json` (RFC 9457) с полями `type`
(`urn:family-hub:problem:<код>`), `title`, `status`, `detail`, `code` и, где есть,
`hub_id` (у `replay.duplicate`), `retry_after_s` (с заголовком `Retry-After`) и `errors`
(у `request.invalid`). Коды `case.*` — не отказы: сообщение принято (202), а квитанция
перечисляет их в `case_conflicts`. «Повтор тех же байтов» — может ли то же сообщение
(тот же запрос) без изменений быть принято позже.

Every refusal is an `application/problem+json` (RFC 9457) answer with `type`
(`urn:family-hub:problem:<code>`), `title`, `status`, `detail`, `code` and, where
present, `hub_id` (on `replay.duplicate`), `retry_after_s` (with a `Retry-After` header)
and `errors` (on `request.invalid`). The `case.*` codes are not refusals: the message
was accepted (202) and its receipt lists them under `case_conflicts`. "Same bytes again"
says whether the same message (the same request), unchanged, can be accepted later.
"""


def render_codes_markdown() -> str:
    """The whole page: per stage a table in Russian, then the same in English."""
    parts = [_INTRO]
    for stage in Stage:
        codes = [(code, kind) for code, kind in CODES.items() if kind.stage is stage]
        parts.append(f"\n## {stage.ru} — {stage.en}\n")
        parts.append(
            "| код | HTTP | что значит | что делать | повтор тех же байтов |\n|---|---|---|---|---|"
        )
        parts.extend(_row(code, kind, russian=True) for code, kind in codes)
        parts.append("")
        parts.append(
            "| code | HTTP | meaning | what to do | same bytes again |\n|---|---|---|---|---|"
        )
        parts.extend(_row(code, kind, russian=False) for code, kind in codes)
    return "\n".join(parts) + "\n"


def _row(code: str, kind: RejectionKind, *, russian: bool) -> str:
    title = kind.title_ru if russian else kind.title
    action = kind.action.ru if russian else kind.action.en
    yes, no = ("да", "нет") if russian else ("yes", "no")
    resend = yes if kind.resend_can_succeed else no
    return f"| `{code}` | {kind.status} | {title} | {action} | {resend} |"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_PATH
    path.write_text(render_codes_markdown(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
