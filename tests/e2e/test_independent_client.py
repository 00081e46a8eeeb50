"""A partner's client written from the published contract alone, not from the hub's code.

It signs with Debian's ``xmlsec1`` following the signature profile, posts with plain HTTP,
reads the inbox's base64 envelopes and checks the hub's signature with ``xmlsec1`` again.
Nothing of ``hub``, ``adapters``, ``schemas`` or ``signing`` is imported: what it needs
comes from the sandbox's bundle and the published example, as for an agency's engineer.
"""

import base64
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from lxml import etree

from tests.conftest import require_service
from tests.sandbox import running_sandbox

ENVELOPE = "urn:family-hub:envelope:1"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
SIGNATURE_METHODS = {
    "rsa": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "ec": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
}
#: The profile: one enveloped signature, the root's last child, one Reference URI="",
#: enveloped-signature then exc-c14n, SHA-256, exactly one certificate in KeyInfo.
TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <ds:SignatureMethod Algorithm="{method}"/>
    <ds:Reference URI="">
      <ds:Transforms>
        <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      </ds:Transforms>
      <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <ds:DigestValue/>
    </ds:Reference>
  </ds:SignedInfo>
  <ds:SignatureValue/>
  <ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>
</ds:Signature>"""


@pytest.fixture
def xmlsec1() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        require_service("xmlsec1 (make test installs it)", FileNotFoundError("xmlsec1"))
    assert found is not None
    return found


def _fresh(example: bytes) -> tuple[etree._Element, str]:
    """The example with a new MessageId and CreatedAt, as the contract asks of each message."""
    root = etree.fromstring(example)
    message_id = str(uuid.uuid4())
    root.find(f"{{{ENVELOPE}}}Header/{{{ENVELOPE}}}MessageId").text = message_id  # type: ignore[union-attr]
    created = root.find(f"{{{ENVELOPE}}}Header/{{{ENVELOPE}}}CreatedAt")
    created.text = datetime.now(UTC).isoformat(timespec="seconds")  # type: ignore[union-attr]
    return root, message_id


def _sign(xmlsec1: str, root: etree._Element, bundle: Path, work: Path) -> bytes:
    """Sign with xmlsec1: the template as the root's last child, the bundle's key and cert."""
    key = load_pem_private_key((bundle / "key.pem").read_bytes(), password=None)
    method = SIGNATURE_METHODS["ec" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa"]
    root.append(etree.fromstring(TEMPLATE.format(method=method)))
    template = work / f"{uuid.uuid4()}.xml"
    template.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    signed = subprocess.run(
        [xmlsec1, "--sign", "--privkey-pem", f"{bundle / 'key.pem'},{bundle / 'cert.pem'}",
         "--output", "-", str(template)],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return signed.stdout


def _xmlsec1_verifies(xmlsec1: str, signed: bytes, ca: Path, work: Path) -> bool:
    path = work / f"{uuid.uuid4()}.xml"
    path.write_bytes(signed)
    done = subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(ca), str(path)],
        capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    return done.returncode == 0


def test_a_client_from_the_contract_alone_sends_is_refused_and_reads_its_inbox(
    tmp_path: Path, xmlsec1: str
) -> None:
    with running_sandbox(tmp_path / "sandbox", tmp_path / "sandbox.log", "police") as sandbox:
        # The example as the hub publishes it (GET /contract/), public, no key.
        published = httpx.get(f"{sandbox.hub_url}/contract/examples/FamilyReferral-1.0.xml")
        published.raise_for_status()
        example = published.content
        police = Path(str(sandbox.partner("police")["bundle"]))
        social = Path(str(sandbox.partner("social")["bundle"]))
        api_key = (police / "api_key").read_text().strip()
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/xml"}
        with httpx.Client(base_url=sandbox.hub_url, headers=headers, timeout=60) as http:
            # A referral signed by xmlsec1 with the police bundle: accepted
            root, message_id = _fresh(example)
            signed = _sign(xmlsec1, root, police, tmp_path)
            accepted = http.post("/api/v1/messages", content=signed)
            assert accepted.status_code == 202, accepted.text

            # The very same bytes again: a duplicate, naming the accepted copy
            again = http.post("/api/v1/messages", content=signed)
            assert again.status_code == 409
            assert again.headers["content-type"].startswith("application/problem+json")
            assert again.json()["code"] == "replay.duplicate"
            assert again.json()["hub_id"] == accepted.json()["hub_id"]

            # Tampered after signing: the digest no longer matches
            root, _ = _fresh(example)
            tampered = _sign(xmlsec1, root, police, tmp_path).replace(
                "КУСП № 18734".encode(), "КУСП № 18735".encode()
            )
            refused = http.post("/api/v1/messages", content=tampered)
            assert (refused.status_code, refused.json()["code"]) == (
                401,
                "signature.digest_mismatch",
            )

            # Signed with another partner's certificate while claiming to be the police
            root, _ = _fresh(example)
            wrong_signer = http.post(
                "/api/v1/messages", content=_sign(xmlsec1, root, social, tmp_path)
            )
            assert (wrong_signer.status_code, wrong_signer.json()["code"]) == (
                403,
                "signature.signer_not_sender",
            )

            # The social centre's simulator answers with a receipt: read it from the inbox,
            # check the hub's signature with xmlsec1 and the bundle's CA, acknowledge it
            receipt = _receipt_for(http, message_id)
            assert _xmlsec1_verifies(xmlsec1, receipt, police / "ca.pem", tmp_path)


def _receipt_for(http: httpx.Client, message_id: str, deadline_s: float = 90.0) -> bytes:
    """The hub-signed ReferralReceipt answering ``message_id``, acknowledged once read."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        inbox = http.get("/api/v1/inbox", params={"limit": 10})
        assert inbox.status_code == 200, inbox.text
        for item in inbox.json()["messages"]:
            envelope = base64.b64decode(item["envelope"])
            ack = http.post(f"/api/v1/inbox/{item['delivery_id']}/ack")
            assert ack.status_code == 200, ack.text
            header = etree.fromstring(envelope).find(f"{{{ENVELOPE}}}Header")
            assert header is not None
            answered = header.findtext(f"{{{ENVELOPE}}}CorrelationId")
            if header.findtext(f"{{{ENVELOPE}}}MessageType") == "ReferralReceipt" and (
                answered == message_id
            ):
                return envelope
        time.sleep(0.5)
    pytest.fail(f"no ReferralReceipt for {message_id} within {deadline_s} s")
