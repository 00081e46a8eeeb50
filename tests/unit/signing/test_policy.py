"""The verify policy may narrow the profile, never widen it or switch a check off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from signing import VerifyPolicy

_RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
_HMAC = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"


def test_defaults_are_sha256_or_stronger() -> None:
    policy = VerifyPolicy()
    assert "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" in policy.signature_methods
    assert "http://www.w3.org/2001/04/xmlenc#sha256" in policy.digest_methods
    assert policy.max_clock_skew == timedelta(seconds=300)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signature_methods": frozenset({_RSA_SHA1})},
        {"signature_methods": frozenset({_HMAC})},
        {"signature_methods": frozenset()},
        {"digest_methods": frozenset({_SHA1})},
        {"max_clock_skew": timedelta(days=1)},
        {"max_clock_skew": timedelta(seconds=-1)},
    ],
)
def test_weakening_the_profile_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        VerifyPolicy(**kwargs)  # type: ignore[arg-type]
