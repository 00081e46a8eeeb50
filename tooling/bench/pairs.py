"""Sign+verify pairs per core: what one signature costs both ends, for ``hub bench`` and
the signature micro-bench (``tooling.bench.signatures``)."""

import time

from lxml import etree

from signing import Signer, Verifier

__all__ = ["sign_verify_pairs_per_s"]

#: How long a pair rate is measured, in seconds.
_DURATION_S = 3.0


def sign_verify_pairs_per_s(
    signer: Signer,
    verifier: Verifier,
    envelope: etree._Element,
    *,
    sender: str,
    duration_s: float = _DURATION_S,
) -> float:
    """Sign ``envelope``, parse and verify the result, for ``duration_s``; returns pairs a second.

    Pairs per second of this thread's CPU time: one core's rate, which other work on a
    shared machine slows far less than it slows the wall clock.
    """
    # This call's own parser: one shared between threads is not safe (schemas.parser).
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    count, started, cpu_started = 0, time.perf_counter(), time.thread_time()
    while time.perf_counter() - started < duration_s:
        signed = etree.fromstring(signer.sign(envelope), parser)
        verifier.verify(signed, expected_sender=sender)
        count += 1
    return count / (time.thread_time() - cpu_started)
