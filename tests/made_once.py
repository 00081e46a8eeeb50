"""Two costs the suite pays once per test process instead of once per test.

Measured over ``tests/integration`` on a 2-core machine: of the test processes' 650 s of
CPU, 99 s went to making 1,747 RSA keys (onboarding issues one per partner, and most tests
onboard six) and 94 s to 4,088 argon2 hashes (an API key per partner, a password per
person). Neither is what those tests check. The hub's processes that tests start as
subprocesses (``hub serve``, the demo, the rig) keep both costs in full.
"""

import itertools
import threading
from collections.abc import Callable, Iterator

from argon2 import PasswordHasher

from signing import KeyAlgorithm
from signing.keys import PrivateKey

#: RSA keys a test process makes before it hands them out again: more than any one test
#: issues, so the keys of one PKI in one test are all different.
RSA_KEYS = 64

#: argon2id at its lowest parameters: the same algorithm and format, so hashes verify and
#: ``needs_rehash`` reads them as anywhere, at microseconds a hash instead of tens of
#: milliseconds. Tests of the production parameters ask for ``argon2_as_in_production``.
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class ReusedKeys:
    """A stand-in for ``signing.pki._new_key`` that makes the first ``RSA_KEYS`` RSA keys and
    then hands them out again in turn; other algorithms (EC, cheap) are made each time.

    Only systems' keys come from it: a dev CA's key (EC, made in ``DevPki.init``) is new in
    every PKI, so a test's rogue CA never shares the genuine CA's key, and the trust checks
    the security tests prove stay what they are.

    A turn and the keys up to it are taken under one lock: a caller is never handed a turn
    whose key another thread has not made yet, or one a failed make left behind.
    """

    def __init__(self, make: Callable[[KeyAlgorithm], PrivateKey]) -> None:
        self._make = make
        self._made: list[PrivateKey] = []
        self._turn: Iterator[int] = itertools.cycle(range(RSA_KEYS))
        self._lock = threading.Lock()

    def __call__(self, algorithm: KeyAlgorithm) -> PrivateKey:
        if algorithm != "rsa":
            return self._make(algorithm)
        with self._lock:
            turn = next(self._turn)
            while len(self._made) <= turn:
                self._made.append(self._make(algorithm))
            return self._made[turn]
