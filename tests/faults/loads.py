"""Send a load through a rig while a fault happens, then check: the suite's one pattern."""

import random
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from hub.runtime import utc_now
from tooling.chaos import Figures, Load, SendResult, send_load
from tooling.rig import Rig

#: ``HUB_DELIVERY_MAX_RETRIES`` of the rigs here (the hub's default unless a test sets it).
DEFAULT_MAX_RETRIES = 8
#: Share of the load tampered after signing.
BAD_SHARE = 0.1


def send_during(
    rig: Rig, messages: int, fault: Callable[[], None], *, rate_per_s: float = 40.0
) -> list[SendResult]:
    """Send ``messages`` (10 % tampered) through every API; call ``fault`` meanwhile."""
    clients = [rig.client("police", api) for api in range(len(rig.api_urls))]
    load = Load(messages, bad_share=BAD_SHARE, rate_per_s=rate_per_s)
    try:
        with ThreadPoolExecutor(1) as pool:
            sent = pool.submit(
                send_load, load, clients, rng=random.Random(messages), stamp=uuid.uuid4().hex[:8],
                now=utc_now(),
            )  # fmt: skip
            fault()
            return sent.result()
    finally:
        for client in clients:
            client.close()


def assert_promises_kept(figures: Figures, *, messages: int) -> None:
    """Every good message accepted and delivered once in effect to both recipients,
    every tampered one refused, nothing lost, extra or applied twice."""
    bad = round(messages * BAD_SHARE)
    assert figures.violations() == []
    assert (figures.sent, figures.accepted, figures.rejected) == (messages, messages - bad, bad)
    assert figures.rejected_codes == {"signature.digest_mismatch": bad}
    assert figures.unanswered == 0
    assert figures.expected_deliveries == 2 * figures.accepted  # social and kdn
    # Dead letters count before their replay; after it, every delivery has landed.
    assert figures.delivered == figures.expected_deliveries
    assert (figures.lost, figures.extra, figures.duplicate_effects) == (0, 0, 0)
    assert figures.double_claims == 0
