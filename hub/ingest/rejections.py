"""The one place where errors of the XML and signature layers become hub rejections."""

from hub.errors import Rejection
from schemas import SchemaError
from signing import SigningError

#: schemas' error reasons → rejection codes.
_SCHEMA_CODES = {
    "too_large": "xml.too_large",
    "malformed": "xml.malformed",
    "too_deep": "xml.too_deep",
    "too_complex": "xml.too_complex",
    "forbidden_construct": "xml.forbidden_construct",
    "envelope_invalid": "envelope.invalid",
    "payload_invalid": "payload.invalid",
    "unknown_type": "schema.unknown_type",
    "unsupported_version": "schema.unsupported_version",
}


def rejection_from(error: SchemaError | SigningError) -> Rejection:
    """Translate a typed error of ``schemas`` or ``signing`` into its stable rejection code.

    Both packages keep personal data out of their messages, so the text can be
    recorded and returned to the sender.
    """
    if isinstance(error, SigningError):
        return Rejection(f"signature.{error.reason}", str(error))
    return Rejection(_SCHEMA_CODES[error.reason], str(error))
