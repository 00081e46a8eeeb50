"""``hub sandbox`` as an integrator uses it: their own system in one partner's seat."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from adapters.hub_client import HubClient, InboxItem
from signing.gost import GOST_256
from tests.factories import make_envelope
from tests.sandbox import REPO, Sandbox, running_sandbox


def _patient() -> httpx.Client:
    """A client that waits for a hub on a loaded machine (the sandbox's SQLite takes one
    writer at a time) rather than HubClient's 10 s, which is for agencies' systems."""
    return httpx.Client(timeout=60.0)


def _inbox_until(
    hub: HubClient, message_type: str, sender: str, deadline_s: float = 90.0
) -> InboxItem:
    """The first ``message_type`` from ``sender`` in the inbox; everything read is acked."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for item in hub.poll_inbox():
            hub.ack(item.delivery_id)
            envelope = item.envelope
            from_sender = envelope is not None and (
                envelope.findtext(".//{*}Sender/{*}System") == sender
            )
            if item.message_type == message_type and from_sender:
                return item
        time.sleep(0.5)
    pytest.fail(f"no {message_type} from {sender} in the inbox within {deadline_s} s")


def _gateway_sent(gateway_url: str, at_least: int, deadline_s: float = 60.0) -> int:
    """How many messages the gateway has sent, once it is ``at_least`` (or the deadline)."""
    deadline = time.monotonic() + deadline_s
    while True:
        outgoing = httpx.get(gateway_url + "/gateway/status", timeout=10).json()["outgoing"]
        sent = int(outgoing.get("sent", 0))
        if sent >= at_least or time.monotonic() > deadline:
            return sent
        time.sleep(0.5)


def test_an_integrators_system_takes_the_police_seat_and_keeps_its_bundle(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "sandbox"
    log = tmp_path / "sandbox.log"
    with running_sandbox(data_dir, log, "police") as sandbox:
        api_key = _the_police_seat_works(sandbox)
        redis_pid = int((data_dir / "redis" / "redis.pid").read_text())

        # When the sandbox is stopped
        sandbox.process.send_signal(signal.SIGTERM)

        # Then it exits cleanly, taking its description and its Redis with it
        assert sandbox.process.wait(timeout=60) == 0, log.read_text(errors="replace")
    assert not (data_dir / "sandbox.json").exists()
    assert not Path(f"/proc/{redis_pid}").exists()

    # And a second run on the folder keeps the bundle our system is configured with
    with running_sandbox(data_dir, log, "police") as sandbox:
        bundle = Path(str(sandbox.partner("police")["bundle"]))
        assert (bundle / "api_key").read_text() == api_key
        with HubClient(sandbox.hub_url, bundle, http=_patient()) as hub:
            assert hub.send(make_envelope("FamilyReferral", sender="police")).hub_id is not None


def _the_police_seat_works(sandbox: Sandbox) -> str:
    """Our system, holding the police bundle, is answered by the simulators; its API key."""
    # Given the sandbox with the police seat left to us: a bundle, no simulator, no gateway
    police = sandbox.partner("police")
    assert (police["simulator_url"], police["gateway_url"], police["gateway_spool"]) == (
        None,
        None,
        None,
    )
    bundle = Path(str(police["bundle"]))
    assert {p.name for p in bundle.iterdir()} >= {"key.pem", "cert.pem", "ca.pem", "api_key"}
    # … and the social centre's simulator behind its gateway, which keeps a spool
    social = sandbox.partner("social")
    social_url, social_gateway = social["simulator_url"], social["gateway_url"]
    assert isinstance(social_url, str)
    assert isinstance(social_gateway, str)
    assert httpx.get(social_url + "/state", timeout=10).status_code == 200
    assert Path(str(social["gateway_spool"])).exists()

    with HubClient(sandbox.hub_url, bundle, http=_patient()) as hub:
        # When our system sends a referral with that bundle, and the same bytes again
        envelope = make_envelope("FamilyReferral", sender="police")
        signed = hub.sign(envelope)
        message_id = envelope.findtext(".//{*}MessageId")
        assert message_id
        first = hub.send_signed(signed, message_id)
        again = hub.send_signed(signed, message_id)

        # Then the hub accepts it once, and the social centre's simulator answers it
        # with a receipt that only our system can take from the police inbox
        assert first.hub_id is not None
        assert not first.duplicate
        assert again.duplicate
        receipt = _inbox_until(hub, "ReferralReceipt", sender="social")
        assert receipt.envelope is not None
        assert receipt.envelope.findtext(".//{*}CorrelationId") == message_id
    # The simulator's receipt passed through its gateway: sent from its spool, and the
    # simulator itself holds no unsent reply
    assert _gateway_sent(social_gateway, at_least=2) >= 2  # the receipt and a status update
    replies = httpx.get(social_url + "/state", timeout=10).json()
    assert replies["counts"]["sent"].get("ReferralReceipt", 0) >= 1
    return (bundle / "api_key").read_text()


@pytest.mark.usefixtures("gost_engine")
def test_a_gost_sandbox_gives_gost_bundles_and_keeps_its_crypto(tmp_path: Path) -> None:
    # Given a sandbox on GOST keys, the police seat ours
    data_dir = tmp_path / "sandbox"
    log = tmp_path / "sandbox.log"
    with running_sandbox(data_dir, log, "police", crypto="gost") as sandbox:
        bundle = Path(str(sandbox.partner("police")["bundle"]))
        certificate = x509.load_pem_x509_certificate((bundle / "cert.pem").read_bytes())
        assert certificate.public_key_algorithm_oid.dotted_string == GOST_256.key_oid
        # Then our system signs GOST with that bundle and the simulators, whose gateways
        # sign GOST too, answer it
        _the_police_seat_works(sandbox)

    # And the folder stays GOST: an RSA sandbox on it is refused, naming both
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    again = subprocess.run(
        [sys.executable, "-m", "hub.cli", "sandbox", "--port", "0", "--data-dir", str(data_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert again.returncode == 1
    assert "is gost, not rsa" in again.stderr


def test_an_unknown_partner_is_named(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "sandbox", "--port", "0", "--data-dir",
         str(tmp_path / "sb"), "--without", "guardianship"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "guardianship" in done.stderr
