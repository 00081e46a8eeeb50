"""The layout of an archive file, and its manifest signed by the hub.

An archive is a zip holding:

- ``messages/<hub id>.xml``: each archived message's original bytes, as received;
- ``deliveries/<delivery id>.xml``: each of its outbound copies, as the hub signed them;
- ``rows.json``: every row's metadata and chain link (``id``, ``prev_hash``, ``chain_hash``,
  ``sha256``), each copy's payload hash, and the rejections moved out of the log;
- ``manifest.xml``: the archive's name, times and counts and the SHA-256 of ``rows.json``,
  signed with the hub's key (XML-DSig in the profile every envelope uses, so ``xmlsec1`` or
  the hub's own verifier checks it). The bodies are covered through ``rows.json``.

A sealed archive is the same zip sealed to a recipient's key (``hub.sealing``).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from signing import HUB_SYSTEM_CODE, Signer, Verifier

__all__ = [
    "ARCHIVE_NAMESPACE",
    "MANIFEST_ENTRY",
    "ROWS_ENTRY",
    "Manifest",
    "body_entry",
    "dump_rows",
    "payload_entry",
    "read_manifest",
    "sign_manifest",
]

ARCHIVE_NAMESPACE = "urn:hub:archive:1"
MANIFEST_ENTRY = "manifest.xml"
ROWS_ENTRY = "rows.json"
_A = f"{{{ARCHIVE_NAMESPACE}}}"


def body_entry(hub_id: int) -> str:
    """The zip entry of a message's original bytes."""
    return f"messages/{hub_id}.xml"


def payload_entry(delivery_id: int) -> str:
    """The zip entry of one outbound copy's payload."""
    return f"deliveries/{delivery_id}.xml"


@dataclass(frozen=True)
class Manifest:
    """What the hub signed about one archive file."""

    name: str
    created_at: datetime
    before: datetime
    messages: int
    deliveries: int
    rejections: int
    #: SHA-256 (hex) of ``rows.json``.
    rows_sha256: str

    def rows_match(self, rows: bytes) -> bool:
        return hashlib.sha256(rows).hexdigest() == self.rows_sha256


def sign_manifest(manifest: Manifest, signer: Signer) -> bytes:
    """The manifest as an XML document with the hub's enveloped signature."""
    root = etree.Element(
        f"{_A}Archive",
        nsmap={"a": ARCHIVE_NAMESPACE},
        name=manifest.name,
        createdAt=manifest.created_at.isoformat(),
        before=manifest.before.isoformat(),
        messages=str(manifest.messages),
        deliveries=str(manifest.deliveries),
        rejections=str(manifest.rejections),
    )
    etree.SubElement(root, f"{_A}File", name=ROWS_ENTRY, sha256=manifest.rows_sha256)
    return signer.sign(root)


def read_manifest(root: etree._Element, verifier: Verifier) -> Manifest:
    """The manifest, after its signature checked out as the hub's.

    The certificate is judged at the manifest's own ``createdAt`` (the hub's key may have
    been rotated since); only the verified tree is read.

    Raises:
        SigningError: the signature is not the hub's or does not verify.
        ValueError: the signed document is not an archive manifest.
    """
    claimed = datetime.fromisoformat(root.get("createdAt", ""))
    signed = verifier.verify(root, expected_sender=HUB_SYSTEM_CODE, now=claimed).signed_xml
    files = signed.findall(f"{_A}File")
    if signed.tag != f"{_A}Archive" or [f.get("name") for f in files] != [ROWS_ENTRY]:
        raise ValueError("not an archive manifest")
    return Manifest(
        name=signed.get("name", ""),
        created_at=datetime.fromisoformat(signed.get("createdAt", "")),
        before=datetime.fromisoformat(signed.get("before", "")),
        messages=int(signed.get("messages", "")),
        deliveries=int(signed.get("deliveries", "")),
        rejections=int(signed.get("rejections", "")),
        rows_sha256=files[0].get("sha256", ""),
    )


def dump_rows(rows: dict[str, list[dict[str, object]]]) -> bytes:
    """``rows.json``'s bytes: UTF-8, keys in a fixed order."""
    return json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
