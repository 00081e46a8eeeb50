"""Just enough DER for the GOST cross-checks, written apart from the code under test.

The hub reads GOST keys and certificates through OpenSSL; the cross-checks read them here, with
no OpenSSL and no ``cryptography`` parser, so a wrong byte order or a wrong field on either side
cannot cancel out. Definite lengths only, as DER requires.
"""

from __future__ import annotations

SEQUENCE = 0x30
BIT_STRING = 0x03
OCTET_STRING = 0x04
OBJECT_IDENTIFIER = 0x06


def read(data: bytes) -> tuple[int, bytes]:
    """The tag and content of the one DER element that ``data`` is."""
    tag, content, end = _read_at(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} bytes after the DER element")
    return tag, content


def children(content: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each element inside a constructed element's ``content``."""
    found = []
    offset = 0
    while offset < len(content):
        tag, value, offset = _read_at(content, offset)
        found.append((tag, value))
    return found


def _read_at(data: bytes, offset: int) -> tuple[int, bytes, int]:
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[offset : offset + size], "big")
        offset += size
    if offset + length > len(data):
        raise ValueError("a DER length runs past the data")
    return tag, data[offset : offset + length], offset + length


def encode(tag: int, content: bytes) -> bytes:
    """One DER element."""
    if len(content) < 0x80:
        return bytes([tag, len(content)]) + content
    length = len(content).to_bytes((len(content).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def encode_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER element from its dotted form."""
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        septets = [arc & 0x7F]
        arc >>= 7
        while arc:
            septets.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(septets))
    return encode(OBJECT_IDENTIFIER, bytes(body))


def decode_oid(content: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content (first arc 0 or 1: GOST's are 1.2.643)."""
    arcs = [content[0] // 40, content[0] % 40]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(arc) for arc in arcs)
