"""The partner's kit: what an integrator runs with only its bundle and the hub's URL.

No hub data folder, database or PKI: the bundle ``hub partners add`` wrote (``key.pem``,
``cert.pem``, ``ca.pem``, ``api_key``), the hub's public contract and its API are enough.
``sign_envelope`` signs a message as the partner's system would; ``conformance`` (``hub
conformance``) checks a partner's setup against a hub, valid and deliberately broken.
"""

from adapters.kit.conformance import Check, Report, run_conformance
from adapters.kit.signing import SignRefused, load_signing_key, sign_envelope

__all__ = [
    # Signing
    "SignRefused",
    "load_signing_key",
    "sign_envelope",
    # Conformance
    "Check",
    "Report",
    "run_conformance",
]
