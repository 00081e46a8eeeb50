"""``GET /api/v1/partners/me`` and ``HubClient.partner_profile()``: a partner's own profile."""

from datetime import timedelta

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from hub.partners import rotate_api_key
from hub.routing import load_rules
from hub.runtime import utc_now
from tests.stack import RunningHub


def test_a_partner_reads_its_own_profile(hub_api: RunningHub) -> None:
    bundle = hub_api.settings.data_dir / "partners" / "police"
    certificate = x509.load_pem_x509_certificate((bundle / "cert.pem").read_bytes())
    rules = load_rules()

    with hub_api.client("police") as client:
        profile = client.partner_profile()

    assert (profile.code, profile.delivery_mode) == ("police", "pull")
    assert set(profile.may_send) == {t for t, r in rules.routes.items() if "police" in r.senders}
    assert "FamilyReferral" in profile.may_send
    assert "SupportPlan" not in profile.may_send
    # Police are named nowhere as a fixed recipient; receipts reach them as the referrer.
    assert profile.receives == ()
    assert {"ReferralReceipt", "ActionStatusUpdate"} <= set(profile.may_receive)
    assert "SurveyAct" not in profile.may_receive
    assert profile.visible_classes == ("conduct",)
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    assert profile.certificates.keys() == {fingerprint}
    assert profile.certificates[fingerprint].startswith(
        certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M")
    )
    assert profile.api_key_expires_at is None


def test_the_profile_names_a_fixed_recipients_types(hub_api: RunningHub) -> None:
    with hub_api.client("kdn") as client:
        profile = client.partner_profile()

    assert profile.delivery_mode == "push"
    assert {"FamilyReferral", "SurveyAct", "ConsentRecord"} <= set(profile.receives)


def test_the_old_key_says_when_it_ends_after_a_rotation(hub_api: RunningHub) -> None:
    old_key = hub_api.api_keys["social"]
    with hub_api.runtime.session_factory.begin() as session:
        rotated = rotate_api_key(session, "social", now=utc_now(), overlap=timedelta(hours=2))

    with httpx.Client(base_url=hub_api.url, timeout=10) as http:
        old = http.get("/api/v1/partners/me", headers={"Authorization": f"Bearer {old_key}"})
        new = http.get(
            "/api/v1/partners/me", headers={"Authorization": f"Bearer {rotated.secret_key}"}
        )
        anonymous = http.get("/api/v1/partners/me")

    assert old.json()["api_key_expires_at"] is not None
    assert new.json()["api_key_expires_at"] is None
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "auth.missing_credentials"
