"""GOST R 34.11-2012 and 34.10-2012 against the examples the standards publish.

RFC 6986 §10 and RFC 7091 Appendix A repeat the standards' own examples. They print each message,
hash and key as a number, most significant digit first, while implementations hold those numbers
as byte strings least significant byte first: every printed message and hash below is reversed
before use (``_printed``), and M1 then reads as the ASCII digits it is. Streebog is checked in the
hub's engine binding and in gostcrypto; the signature examples are checked in gostcrypto, which
reproduces them from the private key and the published k, and in the OpenSSL GOST engine itself.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from gostcrypto import gostsignature

from signing.gost import streebog
from signing.gost.algorithms import GostBits
from tests.conftest import require_service
from tests.unit.signing.gost import der, gostcrypto_side


def _printed(number: str) -> bytes:
    """The byte string behind a number printed in an RFC's example: its bytes reversed."""
    return bytes.fromhex("".join(number.split()))[::-1]


M1 = _printed(
    "32313039383736353433323130393837363534333231303938373635343332"
    "3130393837363534333231303938373635343332313039383736353433323130"
)
M2 = _printed(
    "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2"
    "f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202c"
    "e8f0f2e5e220e5d1"
)
#: RFC 6986 §10.1 (M1) and §10.2 (M2): (message, bits, the hash as printed).
STREEBOG: dict[str, tuple[bytes, GostBits, str]] = {
    "M1-512": (
        M1,
        512,
        "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
        "fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b",
    ),
    "M1-256": (M1, 256, "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"),
    "M2-512": (
        M2,
        512,
        "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f03"
        "7613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e",
    ),
    "M2-256": (M2, 256, "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"),
}


def test_the_printed_messages_reversed_are_the_standards_texts() -> None:
    assert M1 == b"012345678901234567890123456789012345678901234567890123456789012"
    line = "Се ветри, Стрибожи внуци, веютъ с моря стрелами на храбрыя плъкы Игоревы"
    assert line.encode("cp1251") == M2


_streebog = pytest.mark.parametrize(("message", "bits", "printed"), STREEBOG.values(), ids=STREEBOG)


@_streebog
@pytest.mark.usefixtures("gost_engine")
def test_the_engine_gives_the_published_streebog(
    message: bytes, bits: GostBits, printed: str
) -> None:
    assert streebog(message, bits) == _printed(printed)


@_streebog
def test_gostcrypto_gives_the_published_streebog(
    message: bytes, bits: GostBits, printed: str
) -> None:
    assert gostcrypto_side.streebog(message, bits) == _printed(printed)


@dataclass(frozen=True)
class SignatureExample:
    """One worked example of RFC 7091 Appendix A: the test curve, keys, hash, k and signature."""

    bits: int
    key_oid: str
    #: The test curve's parameter set OID, known to the engine.
    paramset: str
    p: int
    a: int
    b: int
    q: int
    x: int
    y: int
    d: int
    qx: int
    qy: int
    #: The hash as the number e = alpha mod q; the examples publish no message.
    e: int
    k: int
    r: int
    s: int

    @property
    def size(self) -> int:
        return self.bits // 8

    def curve(self) -> dict[str, int]:
        """The curve as gostcrypto takes it (m, the group order, equals q here)."""
        return {
            "p": self.p,
            "a": self.a,
            "b": self.b,
            "m": self.q,
            "q": self.q,
            "x": self.x,
            "y": self.y,
        }


EXAMPLES = {
    # RFC 7091 §A.1: 256 bits, id-GostR3410-2001-TestParamSet.
    "A.1-256": SignatureExample(
        bits=256,
        key_oid="1.2.643.7.1.1.1.1",
        paramset="1.2.643.2.2.35.0",
        p=0x8000000000000000000000000000000000000000000000000000000000000431,
        a=0x7,
        b=0x5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E,
        q=0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
        x=0x2,
        y=0x08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8,
        d=0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28,
        qx=0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B,
        qy=0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA,
        e=0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5,
        k=0x77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3,
        r=0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493,
        s=0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40,
    ),
    # RFC 7091 §A.2: 512 bits, id-tc26-gost-3410-12-512-paramSetTest.
    "A.2-512": SignatureExample(
        bits=512,
        key_oid="1.2.643.7.1.1.1.2",
        paramset="1.2.643.7.1.2.1.2.0",
        p=int(
            "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
            "F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
            16,
        ),
        a=0x7,
        b=int(
            "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43"
            "61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
            16,
        ),
        q=int(
            "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
            "A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
            16,
        ),
        x=int(
            "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762"
            "FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
            16,
        ),
        y=int(
            "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C"
            "83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
            16,
        ),
        d=int(
            "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020"
            "72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
            16,
        ),
        qx=int(
            "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD"
            "5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
            16,
        ),
        qy=int(
            "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61"
            "EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
            16,
        ),
        e=int(
            "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591"
            "7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
            16,
        ),
        k=int(
            "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658"
            "86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
            16,
        ),
        r=int(
            "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3"
            "5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
            16,
        ),
        s=int(
            "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5"
            "823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
            16,
        ),
    ),
}
_example = pytest.mark.parametrize("example", EXAMPLES.values(), ids=EXAMPLES)


def _gostcrypto(example: SignatureExample) -> gostsignature.GOST34102012:
    mode = gostsignature.MODE_256 if example.bits == 256 else gostsignature.MODE_512
    return gostsignature.new(mode, example.curve())


def _be(value: int, size: int) -> bytearray:
    return bytearray(value.to_bytes(size, "big"))


@_example
def test_gostcrypto_reproduces_the_published_example(example: SignatureExample) -> None:
    # Given the example's curve, private key, hash and k
    signer, size = _gostcrypto(example), example.size
    d, e, k = _be(example.d, size), _be(example.e, size), _be(example.k, size)
    public = _be(example.qx, size) + _be(example.qy, size)
    signature = _be(example.r, size) + _be(example.s, size)

    # Then gostcrypto derives the published public key and signature, and accepts only that
    assert signer.public_key_generate(d) == public
    assert signer.sign(d, e, k) == signature
    assert signer.verify(public, e, signature)
    assert not signer.verify(public, _be(example.e + 1, size), signature)


@pytest.fixture(scope="module")
def openssl(gost_engine: None) -> str:
    """The ``openssl`` command: the engine is checked as a third party would run it."""
    found = shutil.which("openssl")
    if found is None:
        require_service("the openssl command (Debian's openssl)", FileNotFoundError("openssl"))
    assert found is not None
    return found


def _engine_verify(openssl: str, directory: Path, example: SignatureExample, e: int) -> str:
    """The OpenSSL GOST engine's verdict on the example's signature over the hash ``e``.

    The public key goes in as a SubjectPublicKeyInfo naming the test parameter set (x‖y, each
    little-endian), the hash little-endian as the engine takes a digest, and the signature as
    the hub's SignatureValue is: s‖r, big-endian. The hub's own binding (``GostPublicKey``)
    hashes a message first, and the examples publish only e, so this runs the same engine from
    the command line; the Streebog vectors and the gostcrypto cross-checks tie the binding to it.
    """
    size = example.size
    point = example.qx.to_bytes(size, "little") + example.qy.to_bytes(size, "little")
    algorithm = der.encode_oid(example.key_oid) + der.encode(
        der.SEQUENCE, der.encode_oid(example.paramset)
    )
    public_key = der.encode(
        der.SEQUENCE,
        der.encode(der.SEQUENCE, algorithm)
        + der.encode(der.BIT_STRING, b"\x00" + der.encode(der.OCTET_STRING, point)),
    )
    signature = example.s.to_bytes(size, "big") + example.r.to_bytes(size, "big")
    (directory / "public.der").write_bytes(public_key)
    (directory / "hash.bin").write_bytes(e.to_bytes(size, "little"))
    (directory / "signature.bin").write_bytes(signature)
    run = subprocess.run(
        [
            *(openssl, "pkeyutl", "-engine", "gost", "-verify", "-pubin", "-keyform", "DER"),
            *("-inkey", "public.der", "-in", "hash.bin", "-sigfile", "signature.bin"),
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    return run.stdout.strip()


@_example
def test_the_engine_verifies_the_published_signature(
    openssl: str, tmp_path: Path, example: SignatureExample
) -> None:
    assert (
        _engine_verify(openssl, tmp_path, example, example.e) == "Signature Verified Successfully"
    )


@_example
def test_the_engine_refuses_the_published_signature_over_another_hash(
    openssl: str, tmp_path: Path, example: SignatureExample
) -> None:
    # A refusal, not a failure to load the key or the engine: those print nothing on stdout.
    verdict = _engine_verify(openssl, tmp_path, example, example.e + 1)
    assert verdict == "Signature Verification Failure"
