"""docs/partners/signature-profile.md states what the code enforces: its algorithms, its
codes (with their HTTP status) and the freshness limits are the code's own."""

import re
from pathlib import Path

from hub.config import Settings
from hub.errors import REJECTION_CODES
from signing.policy import ALLOWED_DIGEST_METHODS, ALLOWED_SIGNATURE_METHODS, VerifyPolicy

ROOT = Path(__file__).resolve().parents[3]
PROFILE = (ROOT / "docs/partners/signature-profile.md").read_text(encoding="utf-8")


def test_every_allowed_algorithm_and_no_other_is_named() -> None:
    named = set(re.findall(r"http://www\.w3\.org/[^`\s\"]+", PROFILE))
    methods = {
        uri for uri in named if re.search(r"#(rsa|ecdsa|sha\d+)|xmldsig-more#sha", uri) is not None
    }
    # Short names ("rsa-sha384") stand for the same namespace as the full URI beside them.
    short = {
        f"http://www.w3.org/2001/04/xmldsig-more#{name}"
        for name in re.findall(r"`((?:rsa|ecdsa)-sha\d+)`", PROFILE)
    }
    gost = set(re.findall(r"urn:ietf:params:xml:ns:cpxmlsec:algorithms:[a-z0-9-]+", PROFILE))
    assert methods | short | gost == ALLOWED_SIGNATURE_METHODS | ALLOWED_DIGEST_METHODS


def test_every_code_named_exists_with_the_status_given() -> None:
    for code, status in re.findall(r"`([a-z]+\.[a-z_]+)` \((\d{3})", PROFILE):
        assert REJECTION_CODES[code].status == int(status), code
    assert set(re.findall(r"`((?:signature|replay)\.[a-z_]+)`", PROFILE)) == {
        code for code in REJECTION_CODES if code.split(".")[0] in {"signature", "replay"}
    }


def test_the_limits_stated_are_the_defaults() -> None:
    settings = Settings()
    assert f"{settings.max_future_skew_s} с" in PROFILE
    assert f"{settings.max_message_age_s:,} с".replace(",", " ") in PROFILE
    skew = int(VerifyPolicy().max_clock_skew.total_seconds())
    assert f"расхождение часов {skew} с" in PROFILE
