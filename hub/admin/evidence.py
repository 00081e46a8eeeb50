"""Evidence export: one message's original and everything a third party needs to check it.

``export_evidence`` returns a zip that stands on its own, without the hub:

- ``message.xml``: the original signed bytes, exactly as received (the only place the
  unmasked original leaves the hub; callers audit each export);
- ``signer-certificate.pem``: the certificate carried in the message's signature;
- ``ca.pem`` and ``crl.pem``: the hub's trust anchors and current revocation list;
- ``verification.json``: the hub's verification report (``trace.verification_report``);
- ``chain-proof.json``: the message's link in the log's hash chain, the previous link,
  the formula, and every later link up to the current head, so anyone can recompute
  the chain from this message to the head with a few lines of code;
- ``README.txt``: how to check all of it (Russian and English). For a GOST R 34.10-2012
  signature, which xmlsec1 and signxml cannot check, it gives ``hub verify --ca`` and the
  OpenSSL GOST engine's commands over the exc-c14n SignedInfo and content (``_GOST_SIGNATURE``).

Nothing here commits or audits.
"""

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.admin.trace import TrustMaterial, find_message, signer_certificate, verification_report
from hub.archive import ArchiveShelf
from hub.errors import NotFound
from hub.ingest import GENESIS_HASH
from hub.store import ChainHead, MessageLog
from signing.gost import GostAlgorithm, gost_algorithm_of

__all__ = ["CHAIN_FORMULA", "EVIDENCE_FILES", "chain_proof", "export_evidence"]

#: The chain's formula, as ``hub.ingest.chain.chain_link`` computes it.
CHAIN_FORMULA = (
    "sha256 = hex(SHA-256(message.xml bytes)); "
    "chain_hash = hex(SHA-256(ASCII(prev_hash + sha256))); "
    "prev_hash of each entry = chain_hash of the entry before it "
    f"(the first entry's prev_hash is {GENESIS_HASH})"
)
#: The files of an evidence zip, in the order they are written.
EVIDENCE_FILES = (
    "message.xml",
    "signer-certificate.pem",
    "ca.pem",
    "crl.pem",
    "verification.json",
    "chain-proof.json",
    "README.txt",
)
#: Later links read per query while walking to the head.
_BATCH = 1_000
#: Fixed time stamp of the zip entries, so one message always gives the same file layout.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def export_evidence(
    session: Session,
    trust: TrustMaterial,
    message_ref: str,
    *,
    now: datetime,
    shelf: ArchiveShelf | None = None,
) -> bytes:
    """The evidence zip of message ``message_ref`` (hub id or MessageId), as bytes.

    An archived message's original is read from ``shelf`` (None: no archive folder).

    Raises:
        NotFound: no such message.
        BodyArchived: its body is archived and the archive cannot be read (the reason says
            which archive, and where it was looked for).
    """
    row = find_message(session, message_ref)
    if row is None:
        raise NotFound("message", message_ref[:64])
    raw = (shelf or ArchiveShelf(None)).body_of(row)
    certificate = signer_certificate(raw)
    report = verification_report(
        raw, sender=row.sender, received_at=row.received_at, trust=trust, now=now
    )
    files: dict[str, bytes] = {
        "message.xml": raw,
        "signer-certificate.pem": certificate.public_bytes(serialization.Encoding.PEM)
        if certificate is not None
        else b"",
        # The anchors and CRL the report was made with, as the trust store holds them.
        "ca.pem": _pem(trust.store.ca_certificates),
        "crl.pem": _pem(trust.store.crls),
        "verification.json": _json(
            {"hub_id": row.id, "message_id": row.message_id, **report.to_json()}
        ),
        "chain-proof.json": _json(chain_proof(session, row)),
        "README.txt": _readme(row, certificate).encode("utf-8"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in EVIDENCE_FILES:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), files[name])
    return buffer.getvalue()


def chain_proof(session: Session, row: MessageLog) -> dict[str, object]:
    """The message's link, the one before it, the formula and every later link to the head."""
    previous = session.execute(
        select(MessageLog.id, MessageLog.chain_hash)
        .where(MessageLog.id < row.id)
        .order_by(MessageLog.id.desc())
        .limit(1)
    ).first()
    # The head first: links stored after it are left out, so the proof ends at this head.
    head = session.get(ChainHead, 1)
    later: list[dict[str, object]] = []
    after = row.id
    while True:
        batch = session.execute(
            select(MessageLog.id, MessageLog.sha256, MessageLog.prev_hash, MessageLog.chain_hash)
            .where(MessageLog.id > after)
            .order_by(MessageLog.id)
            .limit(_BATCH)
        ).all()
        later.extend(
            {"hub_id": i, "sha256": s, "prev_hash": p, "chain_hash": c} for i, s, p, c in batch
        )
        if len(batch) < _BATCH:
            break
        after = batch[-1][0]
    if head is not None:
        ends = [i for i, link in enumerate(later) if link["chain_hash"] == head.last_hash]
        later = later[: ends[0] + 1] if ends else later
    return {
        "formula": CHAIN_FORMULA,
        "genesis_hash": GENESIS_HASH,
        "entry": {
            "hub_id": row.id,
            "message_id": row.message_id,
            "sha256": row.sha256,
            "prev_hash": row.prev_hash,
            "chain_hash": row.chain_hash,
        },
        "previous": None
        if previous is None
        else {"hub_id": previous[0], "chain_hash": previous[1]},
        "later": later,
        "head": None if head is None else {"chain_hash": head.last_hash, "length": head.length},
    }


def _pem(items: Sequence[x509.Certificate] | Sequence[x509.CertificateRevocationList]) -> bytes:
    return b"".join(item.public_bytes(serialization.Encoding.PEM) for item in items)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _readme(row: MessageLog, certificate: x509.Certificate | None) -> str:
    gost = gost_algorithm_of(certificate) if certificate is not None else None
    signature = _RSA_SIGNATURE if gost is None else _gost_signature(gost, row.received_at)
    return f"""\
Доказательный пакет сообщения / Evidence package of a message
==============================================================

Сообщение / Message: MessageId {row.message_id}, hub id {row.id},
тип / type {row.message_type} {row.schema_version}, отправитель / sender {row.sender},
получено / received {row.received_at.isoformat()}.

Состав / Contents
  message.xml             подписанный оригинал, байт в байт / the signed original, byte for byte
  signer-certificate.pem  сертификат подписанта из подписи / the signer's certificate
  ca.pem, crl.pem         корневой сертификат и список отзыва / trust anchor and CRL
  verification.json       отчёт проверки узла / the hub's verification report
  chain-proof.json        звено хеш-цепочки журнала / the message log's hash-chain link

{signature}
2. Хеш-цепочка / Hash chain
   RU: sha256 = SHA-256 от байтов message.xml; chain_hash = SHA-256 от ASCII-строки
       prev_hash + sha256 (шестнадцатеричные строки подряд). prev_hash каждой записи —
       chain_hash предыдущей. Пересчитайте звено сообщения и все звенья "later" до
       "head" в chain-proof.json:
   EN: sha256 = SHA-256 of the bytes of message.xml; chain_hash = SHA-256 of the ASCII
       string prev_hash + sha256 (hex strings concatenated). Each entry's prev_hash is the
       previous entry's chain_hash. Recompute the message's link and every "later" link
       up to "head" in chain-proof.json:

       import hashlib, json
       proof = json.load(open("chain-proof.json"))
       entry = proof["entry"]
       raw = open("message.xml", "rb").read()
       assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
       link = hashlib.sha256((entry["prev_hash"] + entry["sha256"]).encode()).hexdigest()
       assert link == entry["chain_hash"]
       for later in proof["later"]:
           assert later["prev_hash"] == link
           link = hashlib.sha256((link + later["sha256"]).encode()).hexdigest()
           assert link == later["chain_hash"]
       assert proof["head"] is None or link == proof["head"]["chain_hash"]
"""


_RSA_SIGNATURE = """\
1. Подпись / Signature
   RU: Проверьте подпись независимой программой xmlsec1:
   EN: Check the signature with the independent tool xmlsec1:

       xmlsec1 --verify --trusted-pem ca.pem message.xml

   RU: Или на Python с библиотекой signxml:
   EN: Or in Python with signxml:

       from signxml import XMLVerifier
       XMLVerifier().verify(open("message.xml", "rb").read(),
                            ca_pem_file="ca.pem", expect_references=1)

   RU: Отзыв сертификата: openssl crl -in crl.pem -noout -text (серийный номер — в
       verification.json, certificate.serial_hex). Проверка на момент получения
       сообщения — поле verified_at; revoked_now — состояние отзыва сейчас.
   EN: Revocation: openssl crl -in crl.pem -noout -text (the serial is in
       verification.json, certificate.serial_hex). verified_at is the reception time the
       signature was judged at; revoked_now is the revocation state now.
"""

#: The signature section of a GOST message's README. The Python part only cuts message.xml
#: into files (lxml: the exc-c14n the profile names, without comments; the enveloped-signature
#: transform keeps the text after the signature); OpenSSL's GOST engine does the cryptography.
#: SignatureValue is s‖r with big-endian halves, which is what ``openssl dgst`` reads.
_GOST_SIGNATURE = """\
1. Подпись ГОСТ Р 34.10-2012 ({bits} бит) / GOST R 34.10-2012 signature ({bits}-bit)
   RU: xmlsec1 и signxml не умеют ГОСТ. Программа узла проверит подпись по одному
       корневому сертификату, без данных узла:
   EN: xmlsec1 and signxml know no GOST. The hub's command checks it given only the CA:

       hub verify --ca ca.pem --crl crl.pem message.xml

   RU: Независимо от узла — OpenSSL с движком GOST (Debian: apt-get install openssl
       libengine-gost-openssl) и Python 3 с lxml. Сначала разложите message.xml на файлы:
       сертификат из подписи (signer.der), SignatureValue (signature.bin, s||r как есть),
       DigestValue (digest.bin), SignedInfo и подписанное содержимое в исключительной
       канонизации exc-c14n (signedinfo.c14n, content.c14n):
   EN: Independently of the hub: OpenSSL with the GOST engine (Debian: apt-get install
       openssl libengine-gost-openssl) and Python 3 with lxml. First cut message.xml into
       files: the certificate in the signature (signer.der), SignatureValue (signature.bin,
       s||r as is), DigestValue (digest.bin), and SignedInfo and the signed content in
       exclusive canonicalisation exc-c14n (signedinfo.c14n, content.c14n):

       python3 - <<'EOF'
       import base64
       from lxml import etree
       DS = "{{http://www.w3.org/2000/09/xmldsig#}}"
       parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
       root = etree.parse("message.xml", parser).getroot()
       signature = root.find(DS + "Signature")
       def c14n(element):
           return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
       def value(*path):
           text = signature.findtext("/".join(DS + name for name in path))
           return base64.b64decode("".join(text.split()))
       open("signer.der", "wb").write(value("KeyInfo", "X509Data", "X509Certificate"))
       open("signature.bin", "wb").write(value("SignatureValue"))
       open("digest.bin", "wb").write(value("SignedInfo", "Reference", "DigestValue"))
       open("signedinfo.c14n", "wb").write(c14n(signature.find(DS + "SignedInfo")))
       previous = signature.getprevious()
       if signature.tail and previous is not None:
           previous.tail = (previous.tail or "") + signature.tail
       elif signature.tail:
           root.text = (root.text or "") + signature.tail
       root.remove(signature)
       open("content.c14n", "wb").write(c14n(root))
       EOF

   RU: Затем: открытый ключ из сертификата; подпись над SignedInfo ("Verified OK");
       дайджест Стрибога содержимого равен DigestValue (cmp ничего не печатает);
       сертификат выдан ca.pem и действовал в момент получения сообщения ("OK"):
   EN: Then: the public key from the certificate; the signature over SignedInfo
       ("Verified OK"); the Streebog digest of the content equals DigestValue (cmp prints
       nothing); the certificate was issued by ca.pem and valid when the message arrived
       ("OK"):

       openssl x509 -engine gost -inform DER -in signer.der -pubkey -noout -out pub.pem
       openssl dgst -engine gost -{digest} -verify pub.pem -signature signature.bin signedinfo.c14n
       openssl dgst -engine gost -{digest} -binary content.c14n | cmp - digest.bin
       openssl verify -engine gost -attime {received_at} -CAfile ca.pem signer-certificate.pem

   RU: signer-certificate.pem — тот же сертификат, что signer.der; -attime — время
       получения сообщения (Unix). Отзыв: openssl crl -engine gost -in crl.pem -noout -text
       (серийный номер — в verification.json, certificate.serial_hex); revoked_now там же —
       состояние отзыва сейчас. Список отзыва может быть новее сообщения, поэтому он не идёт
       в openssl verify вместе с -attime.
   EN: signer-certificate.pem is the same certificate as signer.der; -attime is the
       message's reception time (Unix). Revocation: openssl crl -engine gost -in crl.pem
       -noout -text (the serial is in verification.json, certificate.serial_hex), where
       revoked_now is the revocation state now. The CRL may be newer than the message, so
       it does not go to openssl verify with -attime.
"""


def _gost_signature(algorithm: GostAlgorithm, received_at: datetime) -> str:
    return _GOST_SIGNATURE.format(
        bits=algorithm.bits,
        digest=algorithm.openssl_digest,
        received_at=int(received_at.timestamp()),
    )
