"""Onboarding a partner system: certificate, API key, registration, and the bundle to hand over;
and later, rotating or revoking the certificate it signs with.

The bundle folder ``$HUB_DATA_DIR/partners/<code>/`` holds what the partner's
adapter needs: ``key.pem`` + ``cert.pem`` (its signing identity, system code
bound in the certificate), ``ca.pem`` (to verify the hub's outbound copies)
and ``api_key``. In production the partner brings a certificate from the
region's CA instead and only the API key is issued here.

The certificate a partner signs with is registered with the hub (``hub.partners``):
onboarding registers the one it issues, ``rotate_partner_certificate`` a new one
(issued here, or brought from the region's CA), and the old one keeps working for
the overlap. Rotations and revocations are audited like the other operations.

Onboarding a partner that exists is refused: it would re-key it at once (old API key
and certificate refused) without an audit entry. Its key, certificate and endpoint
each change through their own audited command instead.
"""

import os
import shutil
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from sqlalchemy.orm import Session

from adapters.registry import ADAPTERS, get_adapter
from hub.errors import OperationRefused
from hub.operations import Actor, partner_for_update, record_operation, required_reason
from hub.partners import (
    find_partner,
    get_partner,
    register_certificate,
    register_partner,
    revoke_certificates,
    rotate_api_key,
)
from hub.store import (
    DeliveryMode,
    Partner,
    PartnerCertificate,
    find_partner_certificates,
    live_certificates,
)
from signing import (
    HUB_SYSTEM_CODE,
    DevPki,
    KeyAlgorithm,
    SignerIdentity,
    SignerNotSender,
    SystemCredentials,
    TrustStore,
)


class PartnerExists(ValueError):
    """Onboarding a partner that is registered already; nothing was changed."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"partner {code} is registered already; nothing was changed. A new API key: "
            f"`hub partners rotate-key {code}`; a new signing certificate: "
            f"`hub partners rotate-cert {code}`; another endpoint: "
            f'`hub partners set-endpoint {code} URL --reason "…"`'
        )
        self.code = code


@dataclass(frozen=True)
class PartnerBundle:
    code: str
    delivery_mode: DeliveryMode
    endpoint: str | None
    directory: Path
    api_key: str


def bundle_dir(data_dir: Path, code: str) -> Path:
    return data_dir / "partners" / code


def onboard_partner(
    session: Session,
    pki: DevPki,
    *,
    data_dir: Path,
    code: str,
    organisation: str,
    endpoint: str | None,
    now: datetime,
    delivery_mode: DeliveryMode | None = None,
    agency: str | None = None,
    replace_existing: bool = False,
    key_algorithm: KeyAlgorithm | None = None,
) -> PartnerBundle:
    """Issue a certificate and an API key for ``code``, register it, and write its bundle.

    ``delivery_mode``: the adapter's unless given; a partner whose system (or gateway)
    takes its messages from the inbox is registered ``PULL`` whatever its adapter pushes.
    ``agency``: the agency an organisation belongs to (a school ``edu-school-12`` of
    ``education``), whose adapter, routing rules and visibility it takes; its certificate
    names ``code``, so it signs as itself and as no other organisation. Without it
    ``code`` must be an agency's own code.

    ``key_algorithm``: the partner's key, by default its PKI's (``DevPki.issue``); a GOST
    PKI also issues RSA and EC keys, for a mixed region's RSA partners.

    ``replace_existing`` re-onboards a registered partner, replacing its key, certificate
    and API key at once (the old ones stop working), unaudited: for development stacks
    that start afresh on the same data folder (``make demo``), never for operators.

    Raises:
        KeyError: no adapter is registered for ``agency`` (or ``code``).
        PartnerExists: ``code`` is registered already (and not ``replace_existing``);
            nothing was issued, written or changed.
        ValueError: a push partner without an endpoint or with one its adapter cannot use,
            or push to a partner whose adapter has no push transport; an organisation
            whose code is an agency's or the hub's; a GOST ``key_algorithm`` under an RSA
            PKI.
    """
    adapter = get_adapter(agency or code)
    if code != adapter.code and (code in ADAPTERS or code == HUB_SYSTEM_CODE):
        raise ValueError(
            f"{code} is the code of {'the hub' if code == HUB_SYSTEM_CODE else 'an agency'}: "
            f"an organisation of {adapter.code} needs a code of its own"
        )
    mode = delivery_mode or DeliveryMode(adapter.delivery_mode)
    if not replace_existing and find_partner(session, code) is not None:
        raise PartnerExists(code)
    if mode is DeliveryMode.PUSH:
        if adapter.make_transport is None:
            raise ValueError(f"{code} has no push transport: it pulls its inbox")
        if not endpoint:
            raise ValueError(f"{code} is delivered by push: give its --endpoint")
        problem = endpoint_problem(endpoint, adapter.endpoint_schemes)
        if problem is not None:
            raise ValueError(f"endpoint of {code}: {problem}")
    credentials = pki.issue(code, organisation, algorithm=key_algorithm)
    partner, key = register_partner(
        session,
        code=code,
        organisation=organisation,
        adapter=adapter.code,
        delivery_mode=mode,
        endpoint=endpoint if mode is DeliveryMode.PUSH else None,
        now=now,
    )
    register_certificate(session, partner, _identity_of(credentials), now=now, overlap=None)
    directory = _write_signing_identity(pki, credentials, data_dir)
    _write_secret(directory / "api_key", key.secret_key.encode("ascii"))
    return PartnerBundle(code, mode, endpoint, directory, key.secret_key)


def set_partner_endpoint(
    session: Session, *, code: str, endpoint: str, actor: Actor, reason: str, now: datetime
) -> str | None:
    """Deliver to partner ``code`` at ``endpoint`` from now on; the endpoint it had.

    Checked before anything is written; audited (``partner.set_endpoint``, the old and
    the new endpoint). Running workers read the endpoint with each delivery and build a
    new transport when it changed, so no restart is needed.

    Raises:
        OperationRefused: ``ops.reason_required``, ``ops.unknown_partner``,
            ``ops.invalid_endpoint`` (not a URL the partner's adapter delivers to, or a
            partner that pulls its inbox).
    """
    why = required_reason(reason)
    partner = partner_for_update(session, code)
    if partner.delivery_mode is not DeliveryMode.PUSH:
        raise OperationRefused("ops.invalid_endpoint", f"partner {code} pulls its inbox")
    problem = endpoint_problem(endpoint, get_adapter(partner.adapter).endpoint_schemes)
    if problem is not None:
        raise OperationRefused("ops.invalid_endpoint", f"partner {code}: {problem}")
    earlier = partner.endpoint
    partner.endpoint = endpoint
    record_operation(
        session,
        actor,
        "partner.set_endpoint",
        f"partner={code} endpoint={endpoint} earlier={earlier or '-'}",
        why,
        now,
    )
    return earlier


def endpoint_problem(endpoint: str, schemes: tuple[str, ...]) -> str | None:
    """Why an adapter taking ``schemes`` could not deliver to ``endpoint``; None if it can.

    An http(s) endpoint needs a host; a file endpoint (the school's exchange folder) an
    absolute path. Credentials in the URL are refused: the endpoint is shown and audited.
    """
    try:
        url = urllib.parse.urlsplit(endpoint)
        host, _ = url.hostname, url.port  # a bad port raises ValueError only when read
    except ValueError:
        return "not a URL"
    if url.scheme not in schemes:
        return f"the scheme must be {' or '.join(schemes)}"
    if url.username is not None or url.password is not None:
        return "credentials do not belong in the endpoint"
    if url.scheme == "file":
        return None if url.path.startswith("/") else "a file endpoint needs an absolute path"
    return None if host else "the URL has no host"


def rotate_partner_key(
    session: Session, *, data_dir: Path, code: str, now: datetime, overlap: timedelta
) -> str:
    """A new API key for ``code``, written to its bundle; the old one works for ``overlap``.

    Raises:
        LookupError: no partner ``code``.
    """
    key = rotate_api_key(session, code, now=now, overlap=overlap)
    directory = bundle_dir(data_dir, code)
    directory.mkdir(parents=True, exist_ok=True)
    _write_secret(directory / "api_key", key.secret_key.encode("ascii"))
    return key.secret_key


def rotate_partner_certificate(
    session: Session,
    pki: DevPki,
    *,
    data_dir: Path,
    code: str,
    now: datetime,
    overlap: timedelta,
    actor: Actor,
    reason: str | None,
    brought_pem: bytes | None = None,
) -> PartnerCertificate:
    """Register a new signing certificate for ``code``; the old ones sign for ``overlap`` more.

    ``brought_pem``: a certificate the partner got from the region's CA, which must be
    trusted now and name ``code``; without it the dev PKI issues one and writes it, with
    its key, to the partner's bundle, as onboarding does.

    Raises:
        LookupError: no partner ``code``.
        ValueError: malformed PEM, or the certificate is registered already.
        SigningError: the brought certificate is untrusted, expired, revoked
            (``CertificateUntrusted`` …) or names another system (``SignerNotSender``).
    """
    partner = get_partner(session, code)
    if brought_pem is None:
        credentials = pki.issue(code, partner.organisation)
        identity = _identity_of(credentials)
        _write_signing_identity(pki, credentials, data_dir)
    else:
        certificate = x509.load_pem_x509_certificate(brought_pem)
        TrustStore.load(pki.root).check(certificate, now=now)
        identity = SignerIdentity.from_certificate(certificate)
        if identity.system_code != code:
            raise SignerNotSender(f"the certificate names {identity.system_code!r}, not {code!r}")
    earlier = [row.serial_hex for row in live_certificates(session, partner.id, now=now)]
    row = register_certificate(session, partner, identity, now=now, overlap=overlap)
    _audit_certificates(
        session,
        actor,
        "partner.rotate_cert",
        partner,
        [row],
        f"overlap_h={overlap.total_seconds() / 3600:g} earlier={','.join(earlier) or '-'}",
        reason,
        now,
    )
    return row


def revoke_partner_certificate(
    session: Session,
    pki: DevPki,
    *,
    code: str,
    now: datetime,
    actor: Actor,
    reason: str,
    fingerprint: str | None = None,
) -> list[PartnerCertificate]:
    """Revoke certificate ``fingerprint`` of ``code``, or else every one it may sign with.

    The hub refuses them from ``now`` on (``signature.revoked``). With the dev PKI's CA
    at hand their serials also go on a new ``crl.pem``, which every verifier re-reads;
    in production the region's CA publishes the CRL. A partner registered before
    migration 0006 has no certificate on record: its current dev-PKI one is registered
    first, so that it can be revoked.

    Raises:
        LookupError: no partner ``code``, or no such certificate to revoke.
    """
    partner = get_partner(session, code)
    legacy = pki.credentials(code)
    if not find_partner_certificates(session, code) and legacy.cert_path.exists():
        register_certificate(session, partner, _identity_of(legacy), now=now, overlap=None)
    rows = revoke_certificates(session, partner, now=now, fingerprint=fingerprint)
    if pki.exists:
        for row in rows:
            pki.revoke_serial(int(row.serial_hex, 16))
    crl = "published" if pki.exists else "left to the CA"
    _audit_certificates(
        session, actor, "partner.revoke_cert", partner, rows, f"crl={crl}", reason, now
    )
    return rows


def _audit_certificates(
    session: Session,
    actor: Actor,
    action: str,
    partner: Partner,
    rows: Sequence[PartnerCertificate],
    more: str,
    reason: str | None,
    now: datetime,
) -> None:
    serials = ",".join(row.serial_hex for row in rows)
    record_operation(
        session, actor, action, f"partner={partner.code} serial={serials} {more}", reason, now
    )


def _identity_of(credentials: SystemCredentials) -> SignerIdentity:
    return SignerIdentity.from_certificate(
        x509.load_pem_x509_certificate(credentials.cert_path.read_bytes())
    )


def _write_signing_identity(pki: DevPki, credentials: SystemCredentials, data_dir: Path) -> Path:
    """Copy the issued key and certificate, and the CA, into the partner's bundle folder."""
    directory = bundle_dir(data_dir, credentials.system_code)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(credentials.cert_path, directory / "cert.pem")
    shutil.copyfile(pki.ca_certificate_path, directory / "ca.pem")
    _write_secret(directory / "key.pem", credentials.key_path.read_bytes())
    return directory


def _write_secret(path: Path, data: bytes) -> None:
    # Created 0600 from the start, so the secret is never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
