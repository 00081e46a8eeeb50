"""Password hashing for people's accounts: argon2id, with the parameters argon2-cffi recommends.

A password is low-entropy, so unlike partners' API keys it gets a slow, memory-hard
hash. The parameters are inside each stored hash; when the defaults move on, a
successful login re-hashes the password (``needs_rehash``).
"""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: One hasher for the process: argon2id (RFC 9106 low-memory profile of argon2-cffi).
_HASHER = PasswordHasher()


def hash_password(plain: str) -> str:
    """The argon2id hash to store, in PHC string format (``$argon2id$v=19$…``)."""
    return _HASHER.hash(plain)


def verify_password(stored: str, plain: str) -> bool:
    """True when ``plain`` matches ``stored``; a malformed stored hash never matches."""
    try:
        return _HASHER.verify(stored, plain)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with other parameters than today's hasher uses."""
    return _HASHER.check_needs_rehash(stored)


def burn_verify(plain: str) -> None:
    """Spend the time of one verification, for a login that has no password to check.

    Without it an unknown login would be answered faster than a known one with a wrong
    password, telling a guesser which logins exist.
    """
    verify_password(_dummy_hash(), plain)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("not a password of anyone")
