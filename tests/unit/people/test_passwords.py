"""Passwords are stored as argon2id hashes and verified against them."""

import pytest
from argon2 import PasswordHasher

from hub.people import hash_password, verify_password
from hub.people.passwords import needs_rehash


@pytest.mark.usefixtures("argon2_as_in_production")
def test_a_hash_is_argon2id_with_the_recommended_parameters_and_verifies_its_password() -> None:
    stored = hash_password("длинный пароль 1")
    # argon2-cffi's default: RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "длинный пароль 1" not in stored
    assert verify_password(stored, "длинный пароль 1")
    assert not needs_rehash(stored)


def test_a_wrong_password_does_not_verify() -> None:
    stored = hash_password("длинный пароль 1")
    assert not verify_password(stored, "длинный пароль 2")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("длинный пароль 1") != hash_password("длинный пароль 1")


def test_a_malformed_stored_hash_never_verifies() -> None:
    assert not verify_password("not-a-hash", "длинный пароль 1")
    assert not verify_password("", "")


def test_a_hash_made_with_weaker_parameters_asks_for_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8_192, parallelism=1).hash("длинный пароль 1")
    assert verify_password(weak, "длинный пароль 1")
    assert needs_rehash(weak)
