"""Parse the contract's examples with ``parse_xml`` from many threads at once, each thread
also parsing documents of its own with a parser of its own, as a worker's threads do (the
message, then a partner's answer). Prints what came out wrong, as JSON; run in a process of
its own by test_schemas_parser_threads, since the failure it guards against can crash one.

``python -m tests.unit.schemas.parse_in_threads THREADS ROUNDS``
"""

from __future__ import annotations

import json
import sys
import threading

from lxml import etree

from schemas import example_bytes, parse_xml

_TYPES = ("FamilyReferral", "ReferralReceipt", "ActionStatusUpdate", "SupportPlan")
_MESSAGE_ID = "{urn:family-hub:envelope:1}Header/{urn:family-hub:envelope:1}MessageId"


def _answer(thread: int, round_: int) -> bytes:
    # Names never seen before, so that each parse adds to the thread's string dictionary.
    children = b"".join(f"<a{thread}_{round_}_{n} b{n}='1'/>".encode() for n in range(20))
    return b"<answer>" + children + b"</answer>"


def parse_in_threads(threads: int, rounds: int) -> list[str]:
    """What went wrong in ``threads`` threads of ``rounds`` rounds each: [] when nothing."""
    messages = [example_bytes(name, "1.0") for name in _TYPES]
    expected = [parse_xml(raw).findtext(_MESSAGE_ID) for raw in messages]
    wrong: list[str] = []

    def run(thread: int) -> None:
        own = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        for round_ in range(rounds):
            index = (thread + round_) % len(messages)
            try:
                message_id = parse_xml(messages[index]).findtext(_MESSAGE_ID)
                answer = etree.fromstring(_answer(thread, round_), own)
            except Exception as exc:  # every failure is the finding, whatever its type
                wrong.append(repr(exc))
                continue
            if message_id != expected[index] or len(answer) != 20:
                wrong.append(f"thread {thread} round {round_}: read {message_id!r}")

    started = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return wrong


if __name__ == "__main__":
    print(json.dumps(parse_in_threads(int(sys.argv[1]), int(sys.argv[2]))))
