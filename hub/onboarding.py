"""Onboarding a partner system: certificate, API key, registration, and the bundle to hand over.

The bundle folder ``$HUB_DATA_DIR/partners/<code>/`` holds what the partner's
adapter needs: ``key.pem`` + ``cert.pem`` (its signing identity, system code
bound in the certificate), ``ca.pem`` (to verify the hub's outbound copies)
and ``api_key``. In production the partner brings a certificate from the
region's CA instead and only the API key is issued here.
"""

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from adapters.registry import get_adapter
from hub.partners import register_partner, rotate_api_key
from hub.store import DeliveryMode
from signing import DevPki


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
) -> PartnerBundle:
    """Issue a certificate and an API key for ``code``, register it, and write its bundle.

    Re-onboarding replaces the key, certificate and API key (the old ones stop working).

    Raises:
        KeyError: no adapter is registered for ``code``.
        ValueError: a push partner without an endpoint.
    """
    adapter = get_adapter(code)
    mode = DeliveryMode(adapter.delivery_mode)
    if mode is DeliveryMode.PUSH and not endpoint:
        raise ValueError(f"{code} is delivered by push: give its --endpoint")
    credentials = pki.issue(code, organisation)
    _, key = register_partner(
        session,
        code=code,
        organisation=organisation,
        adapter=adapter.code,
        delivery_mode=mode,
        endpoint=endpoint if mode is DeliveryMode.PUSH else None,
        now=now,
    )
    directory = bundle_dir(data_dir, code)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(credentials.cert_path, directory / "cert.pem")
    shutil.copyfile(pki.ca_certificate_path, directory / "ca.pem")
    _write_secret(directory / "key.pem", credentials.key_path.read_bytes())
    _write_secret(directory / "api_key", key.secret_key.encode("ascii"))
    return PartnerBundle(code, mode, endpoint, directory, key.secret_key)


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


def _write_secret(path: Path, data: bytes) -> None:
    # Created 0600 from the start, so the secret is never readable by others.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
