"""The published contract: ``hub contract export DIR`` and ``GET /contract/`` of a running hub."""

import json
import re
from pathlib import Path

import httpx
import pytest
from lxml import etree
from typer.testing import CliRunner

from hub.cli import app
from hub.config import Settings
from hub.ingest import parse_limits
from schemas import example_bytes, known_schemas, parse_xml, read_header
from signing import VerifyPolicy
from tests.stack import RunningHub

#: The signature profile in the repository; the contract has it under its own name.
PROFILE = Path("docs/partners/signature-profile.md")
CODES = Path("docs/partners/codes.md")
CONSENT = Path("docs/partners/consent.md")
#: MessageId and CreatedAt: the only parts of an example that differ between two listings.
_FRESH_IDS = re.compile(rb"<(MessageId|CreatedAt)>[^<]*</\1>")


def _export(directory: Path, **env: str) -> None:
    result = CliRunner(env=env).invoke(app, ["contract", "export", str(directory)])
    assert result.exit_code == 0, result.output


def _schema(path: Path) -> etree.XMLSchema:
    # From the exported file itself, so its relative import (../common/…) must resolve there.
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("contract")
    # No data folder, database, broker or PKI anywhere: the export needs none of them.
    _export(directory, HUB_DATA_DIR=str(directory / "absent"), DATABASE_URL="", REDIS_URL="")
    assert not (directory / "absent").exists()
    return directory


def test_the_export_holds_every_part_of_the_contract(exported: Path) -> None:
    names = {str(p.relative_to(exported)) for p in exported.rglob("*") if p.is_file()}

    xsds = {f"schemas/{t}/{t}-{v}.xsd" for t, v in known_schemas()}
    examples = {f"examples/{t}-{v}.xml" for t, v in known_schemas()}
    assert names == {
        "README.md",
        "openapi.json",
        CODES.name,
        CONSENT.name,
        "limits.json",
        "signature.json",
        PROFILE.name,
        "schemas/envelope/envelope-1.0.xsd",
        "schemas/common/common-1.0.xsd",
        "kdn/service.wsdl",
        "kdn/signal.xsd",
        *xsds,
        *examples,
    }
    assert "Контракт узла обмена" in (exported / "README.md").read_text(encoding="utf-8")
    assert 'URI=""' in (exported / PROFILE.name).read_text(encoding="utf-8")
    assert json.loads((exported / "openapi.json").read_bytes())["paths"]["/api/v1/messages"]


@pytest.mark.parametrize(("message_type", "version"), known_schemas())
def test_every_example_is_valid_against_the_exported_xsds_and_fresh(
    exported: Path, message_type: str, version: str
) -> None:
    example = exported / "examples" / f"{message_type}-{version}.xml"
    envelope = parse_xml(example.read_bytes())

    _schema(exported / "schemas" / "envelope" / "envelope-1.0.xsd").assertValid(envelope)
    payload = envelope.find("{*}Body/*")
    assert payload is not None
    xsd = exported / "schemas" / message_type / f"{message_type}-{version}.xsd"
    _schema(xsd).assertValid(payload)
    header = read_header(envelope)
    assert (
        header.message_id != read_header(parse_xml(example_bytes(message_type, version))).message_id
    )


def test_the_commissions_wsdl_imports_its_xsd_beside_it(exported: Path) -> None:
    wsdl = etree.parse(str(exported / "kdn" / "service.wsdl"))
    imports = wsdl.findall(".//{http://www.w3.org/2001/XMLSchema}import")

    assert [i.get("schemaLocation") for i in imports] == ["signal.xsd"]
    _schema(exported / "kdn" / "signal.xsd")


def test_limits_are_the_hubs_settings_and_parser_limits(tmp_path: Path) -> None:
    _export(
        tmp_path,
        HUB_MAX_MESSAGE_BYTES="65536",
        HUB_MAX_FUTURE_SKEW_S="120",
        HUB_MAX_MESSAGE_AGE_S="3600",
        HUB_PARTNER_RATE_PER_S="7",
    )
    settings = Settings(
        max_message_bytes=65536, max_future_skew_s=120, max_message_age_s=3600, partner_rate_per_s=7
    )
    parsing = parse_limits(settings)

    assert json.loads((tmp_path / "limits.json").read_bytes()) == {
        "max_message_bytes": 65536,
        "max_depth": parsing.max_depth,
        "max_elements": parsing.max_elements,
        "max_attributes_per_element": parsing.max_attributes_per_element,
        "max_message_age_s": 3600,
        "max_future_skew_s": 120,
        "partner_rate_per_s": 7,
        "inbox_visibility_s": settings.inbox_visibility_s,
    }


def test_signature_json_names_exactly_what_the_region_accepts(tmp_path: Path) -> None:
    _export(tmp_path, HUB_SIGNATURE_PROVIDERS="gost256,rsa")
    published = json.loads((tmp_path / "signature.json").read_bytes())

    assert published["providers"] == ["gost256", "rsa"]
    assert (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
        in (published["signature_methods"])
    )
    assert not any("-512" in uri for uri in published["signature_methods"])
    expected = VerifyPolicy.for_providers({"rsa", "gost256"})
    assert set(published["signature_methods"]) == expected.signature_methods
    assert set(published["digest_methods"]) == expected.digest_methods


def test_the_hub_serves_the_same_files_publicly(hub_api: RunningHub, tmp_path: Path) -> None:
    exported = tmp_path / "contract"
    _export(exported, **_env_of(hub_api.settings))
    files = sorted(p for p in exported.rglob("*") if p.is_file())

    with httpx.Client(base_url=hub_api.url, timeout=10) as http:
        index = http.get("/contract/")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        for path in files:
            name = str(path.relative_to(exported))
            assert f'href="{name}"' in index.text
            served = http.get(f"/contract/{name}")  # no Authorization header: public
            assert served.status_code == 200, name
            assert served.headers["content-type"] == _media_type(name), name
            assert _FRESH_IDS.sub(b"", served.content) == _FRESH_IDS.sub(b"", path.read_bytes())
        missing = http.get("/contract/nothing.xml")
        # The hub builds its contract once, yet each request still gets fresh example ids.
        example = "examples/FamilyReferral-1.0.xml"
        first, second = (http.get(f"/contract/{example}").content for _ in range(2))

    assert _message_id(first) != _message_id(second)
    assert missing.status_code == 404
    assert missing.json()["code"] == "request.not_found"


def _message_id(example: bytes) -> str:
    return read_header(parse_xml(example)).message_id


def _env_of(settings: Settings) -> dict[str, str]:
    # The hub under test runs with short test timings; the export reads the same settings.
    return {"HUB_INBOX_VISIBILITY_S": str(settings.inbox_visibility_s)}


def _media_type(name: str) -> str:
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".md"):
        return "text/markdown; charset=utf-8"
    return "application/xml"
