"""Partner credential folders (key, cert, hub CA, API key) issued by a dev PKI in a tmp dir."""

import shutil
from pathlib import Path

from signing import DevPki


def partner_credentials(pki: DevPki, code: str, organisation: str, target: Path) -> Path:
    """Issue ``code``'s key and write the folder layout ``HubClient`` reads; return it."""
    issued = pki.issue(code, organisation)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(issued.key_path, target / "key.pem")
    shutil.copyfile(issued.cert_path, target / "cert.pem")
    shutil.copyfile(pki.ca_certificate_path, target / "ca.pem")
    (target / "api_key").write_text(f"test-key-{code}\n", encoding="utf-8")
    return target
