"""Evidence export: one message's original and everything a third party needs to check it.

``export_evidence`` returns a zip that stands on its own, without the hub:

- ``message.xml``: the original signed bytes, exactly as received (the only place the
  unmasked original leaves the hub; callers audit each export);
- ``signer-certificate.pem``: the certificate carried in the message's signature;
- ``ca.pem`` and ``crl.pem``: the hub's trust anchors and current revocation list;
- ``verification.json``: the hub's verification report (``trace.verification_report``);
- ``chain-proof.json``: the message's link in the log's hash chain (for a version-2 link,
  the canonical record of its columns), the previous link, the formula, and every later
  link up to the first signed checkpoint covering the message (or, before there is one,
  the current head), so anyone can recompute the chain from this message to a head the
  hub signed with a few lines of code;
- ``checkpoint.xml``: that checkpoint, signed by the hub (empty before there is one);
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
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.admin.trace import TrustMaterial, find_message, signer_certificate, verification_report
from hub.archive import ArchiveShelf
from hub.errors import NotFound
from hub.ingest import (
    CHAIN_VERSION,
    GENESIS_HASH,
    LINK_COLUMNS,
    link_digest,
    link_record,
    link_values,
)
from hub.store import ChainCheckpoint, ChainHead, MessageLog
from signing.gost import GostAlgorithm, gost_algorithm_of

__all__ = [
    "CHAIN_FORMULA",
    "EVIDENCE_FILES",
    "chain_proof",
    "export_evidence",
    "first_checkpoint_covering",
]

#: The chain's formula, as ``hub.ingest.chain.expected_link`` computes it.
CHAIN_FORMULA = (
    "digest = hex(SHA-256(message.xml bytes)) for chain_version 1, "
    "hex(SHA-256(ASCII(record))) for chain_version 2, where record is the canonical JSON of "
    "the entry's columns (its sha256 is the bytes' hash); "
    "chain_hash = hex(SHA-256(ASCII(prev_hash + digest))); "
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
    "checkpoint.xml",
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
    checkpoint = first_checkpoint_covering(session, row)
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
        "chain-proof.json": _json(chain_proof(session, row, checkpoint)),
        "checkpoint.xml": b"" if checkpoint is None else checkpoint.document,
        "README.txt": _readme(row, certificate, checkpoint).encode("utf-8"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in EVIDENCE_FILES:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), files[name])
    return buffer.getvalue()


def first_checkpoint_covering(session: Session, row: MessageLog) -> ChainCheckpoint | None:
    """The earliest signed checkpoint whose chain includes the message, if one was made."""
    position = session.scalar(select(func.count()).where(MessageLog.id <= row.id)) or 0
    return session.scalars(
        select(ChainCheckpoint)
        .where(ChainCheckpoint.length >= position)
        .order_by(ChainCheckpoint.length, ChainCheckpoint.id)
        .limit(1)
    ).first()


def chain_proof(
    session: Session, row: MessageLog, checkpoint: ChainCheckpoint | None
) -> dict[str, object]:
    """The message's link, the one before it, the formula and every later link up to
    ``checkpoint`` (without one: up to the current head)."""
    previous = session.execute(
        select(MessageLog.id, MessageLog.chain_hash)
        .where(MessageLog.id < row.id)
        .order_by(MessageLog.id.desc())
        .limit(1)
    ).first()
    # The head first: links stored after it are left out, so the proof ends at this head.
    head = session.get(ChainHead, 1)
    end = checkpoint.head_hash if checkpoint is not None else head.last_hash if head else None
    later = [] if row.chain_hash == end else _later_links(session, row.id, end)
    values = link_values(row)
    return {
        "formula": CHAIN_FORMULA,
        "genesis_hash": GENESIS_HASH,
        "entry": {
            "hub_id": row.id,
            "message_id": row.message_id,
            "chain_version": row.chain_version,
            "record": link_record(values).decode("ascii")
            if row.chain_version == CHAIN_VERSION
            else None,
            "sha256": row.sha256,
            "digest": link_digest(values),
            "prev_hash": row.prev_hash,
            "chain_hash": row.chain_hash,
        },
        "previous": None
        if previous is None
        else {"hub_id": previous[0], "chain_hash": previous[1]},
        "later": later,
        "checkpoint": None
        if checkpoint is None
        else {
            "file": "checkpoint.xml",
            "length": checkpoint.length,
            "head_hash": checkpoint.head_hash,
            "created_at": checkpoint.created_at.isoformat(),
        },
        "head": None if head is None else {"head_hash": head.last_hash, "length": head.length},
    }


_LINK_NAMES = ("id", "prev_hash", "chain_hash", "chain_version", *LINK_COLUMNS)
_LINK_SELECT = [getattr(MessageLog, name) for name in _LINK_NAMES]


def _later_links(session: Session, after: int, end: str | None) -> list[dict[str, object]]:
    """Every link after message ``after`` up to the one equal to ``end`` (all, if none is)."""
    later: list[dict[str, object]] = []
    while True:
        batch = session.execute(
            select(*_LINK_SELECT).where(MessageLog.id > after).order_by(MessageLog.id).limit(_BATCH)
        ).all()
        for values in (dict(zip(_LINK_NAMES, row, strict=True)) for row in batch):
            later.append(
                {
                    "hub_id": values["id"],
                    "digest": link_digest(values),
                    "prev_hash": values["prev_hash"],
                    "chain_hash": values["chain_hash"],
                }
            )
            if values["chain_hash"] == end:
                return later
        if len(batch) < _BATCH:
            return later
        after = batch[-1][0]


def _pem(items: Sequence[x509.Certificate] | Sequence[x509.CertificateRevocationList]) -> bytes:
    return b"".join(item.public_bytes(serialization.Encoding.PEM) for item in items)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _readme(
    row: MessageLog, certificate: x509.Certificate | None, checkpoint: ChainCheckpoint | None
) -> str:
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
  checkpoint.xml          подписанная узлом контрольная точка цепочки / the hub-signed
                          checkpoint of the chain

{signature}
{_CHAIN}
{_checkpoint_section(checkpoint, gost is not None)}"""


#: The hash-chain section of every README: the reader's check runs as written.
_CHAIN = """\
2. Хеш-цепочка / Hash chain
   RU: sha256 = SHA-256 от байтов message.xml. Звено версии 2 (chain_version) покрывает
       все важные поля записи журнала: record в chain-proof.json — их каноническая запись
       JSON (MessageId, отправитель, тип, версия схемы, приоритет, CaseRef, CorrelationId,
       время создания и получения в UTC, отпечаток сертификата подписанта, sha256);
       digest = SHA-256 от record. У записей версии 1 (до обновления узла) digest = sha256.
       chain_hash = SHA-256 от ASCII-строки prev_hash + digest (шестнадцатеричные строки
       подряд); prev_hash каждой записи — chain_hash предыдущей. Программа ниже
       пересчитывает звено сообщения и все звенья "later" до подписанной контрольной
       точки (а пока её нет — до текущей головы цепочки, "head"):
   EN: sha256 = SHA-256 of the bytes of message.xml. A version-2 link (chain_version)
       covers every column of the log entry that matters: "record" in chain-proof.json is
       their canonical JSON (MessageId, sender, type, schema version, priority, CaseRef,
       CorrelationId, creation and reception times in UTC, the signer certificate's
       fingerprint, sha256); digest = SHA-256 of record. For version-1 entries (logged
       before the hub's upgrade) digest = sha256. chain_hash = SHA-256 of the ASCII string
       prev_hash + digest (hex strings concatenated); each entry's prev_hash is the
       previous entry's chain_hash. The program below recomputes the message's link and
       every "later" link up to the signed checkpoint (before there is one, up to the
       current chain head, "head"):

       import hashlib, json
       proof = json.load(open("chain-proof.json"))
       entry = proof["entry"]
       raw = open("message.xml", "rb").read()
       assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
       digest = entry["sha256"]
       if entry["chain_version"] == 2:
           assert json.loads(entry["record"])["sha256"] == entry["sha256"]
           digest = hashlib.sha256(entry["record"].encode("ascii")).hexdigest()
       link = hashlib.sha256((entry["prev_hash"] + digest).encode()).hexdigest()
       assert link == entry["chain_hash"]
       for later in proof["later"]:
           assert later["prev_hash"] == link
           link = hashlib.sha256((link + later["digest"]).encode()).hexdigest()
           assert link == later["chain_hash"]
       if proof["checkpoint"]:
           from xml.etree import ElementTree
           point = ElementTree.parse("checkpoint.xml").getroot()
           assert point.findtext("{urn:family-hub:chain-checkpoint:1}HeadHash") == link
           print("chain OK up to the signed checkpoint")
       else:
           assert proof["head"] is None or link == proof["head"]["head_hash"]
           print("chain OK up to the head (no signed checkpoint yet)")
"""


def _checkpoint_section(checkpoint: ChainCheckpoint | None, gost: bool) -> str:
    if checkpoint is None:
        return """\
3. Контрольная точка / Checkpoint
   RU: Подписанной контрольной точки, покрывающей это сообщение, ещё нет: checkpoint.xml
       пуст. Выполните на узле hub verify-log --checkpoint и выгрузите пакет снова.
   EN: No signed checkpoint covers this message yet: checkpoint.xml is empty. Run
       hub verify-log --checkpoint on the hub and export the package again.
"""
    check = _GOST_CHECKPOINT_CHECK if gost else _RSA_CHECKPOINT_CHECK
    return f"""\
3. Контрольная точка / Checkpoint
   RU: checkpoint.xml — заявление узла, подписанное его ключом: в журнале было Length
       записей, последняя с chain_hash = HeadHash, на момент CreatedAt ({checkpoint.length},
       {checkpoint.created_at.isoformat()}). Цепочка выше доходит до HeadHash, значит
       сообщение было в журнале, когда узел подписал эту точку, и позже его не изменить
       незаметно. Проверьте подпись точки:
   EN: checkpoint.xml is the hub's statement, signed with its key, that the log had
       Length entries, the last with chain_hash = HeadHash, at CreatedAt. The chain above
       reaches HeadHash, so the message was in the log when the hub signed it and cannot
       be changed unnoticed since. Check the checkpoint's signature:

{check}"""


_RSA_CHECKPOINT_CHECK = """\
       xmlsec1 --verify --trusted-pem ca.pem checkpoint.xml
"""
_GOST_CHECKPOINT_CHECK = """\
   RU: hub verify проверяет только сообщения: выполните команды OpenSSL из раздела 1,
       подставив checkpoint.xml вместо message.xml (в подписи точки — сертификат узла).
   EN: hub verify checks messages only: run section 1's OpenSSL commands with
       checkpoint.xml in place of message.xml (the checkpoint's signature carries the
       hub's certificate).
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
