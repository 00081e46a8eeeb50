"""The ``hub`` command as an operator and a partner engineer use it."""

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner, Result

from hub.cli import app
from hub.config import Settings
from hub.store import MessageLog, OutboxDelivery, make_engine
from schemas import parse_xml
from signing import DevPki, TrustStore, XmlVerifier
from signing.gost import GOST_256
from signing.profile import signature_method_of
from tests.conftest import require_service
from tests.factories import Signers, make_envelope
from tests.plain_russian import latin_words, read_site
from tests.stack import RunningHub
from tooling.demo import run_demo
from tooling.rig import ReservedPort

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(data_dir: Path) -> CliRunner:
    return CliRunner(env={"HUB_DATA_DIR": str(data_dir), "DATABASE_URL": "", "REDIS_URL": ""})


def _ok(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_onboarding_a_partner_from_scratch(cli: CliRunner, data_dir: Path) -> None:
    _ok(cli, "pki", "init")
    _ok(cli, "db", "upgrade")

    output = _ok(cli, "partners", "add", "kdn", "-o", "КДН и ЗП", "--endpoint", "http://x/soap")

    bundle = data_dir / "partners" / "kdn"
    assert str(bundle) in output.replace("\n", "")
    assert sorted(p.name for p in bundle.iterdir()) == ["api_key", "ca.pem", "cert.pem", "key.pem"]
    assert (bundle / "key.pem").stat().st_mode & 0o077 == 0  # secrets are private to the owner
    assert (bundle / "api_key").read_text() in output.replace("\n", "")
    listing = _ok(cli, "partners", "list")
    assert "kdn" in listing
    assert "push" in listing


def test_push_partner_needs_an_endpoint_and_unknown_codes_are_refused(cli: CliRunner) -> None:
    _ok(cli, "pki", "init")
    _ok(cli, "db", "upgrade")
    no_endpoint = cli.invoke(app, ["partners", "add", "social", "-o", "КЦСОН"])
    unknown = cli.invoke(app, ["partners", "add", "nobody", "-o", "?"])
    assert no_endpoint.exit_code == 1
    assert "--endpoint" in no_endpoint.output
    assert unknown.exit_code == 1


def test_a_gost_pki_certifies_partners_with_gost_and_revokes_and_rotates(
    cli: CliRunner, data_dir: Path
) -> None:
    # Given a GOST PKI and kdn onboarded under it
    init = cli.invoke(app, ["pki", "init", "--crypto", "gost"])
    if init.exit_code != 0 and "libengine-gost-openssl" in init.stderr:
        require_service("OpenSSL's GOST engine", RuntimeError(init.stderr))
    assert init.exit_code == 0, init.output
    _ok(cli, "db", "upgrade")
    _ok(cli, "partners", "add", "kdn", "-o", "КДН и ЗП", "--endpoint", "http://x/soap")
    pki = DevPki(data_dir / "pki")
    bundle = data_dir / "partners" / "kdn"
    first = x509.load_pem_x509_certificate((bundle / "cert.pem").read_bytes())
    assert first.public_key_algorithm_oid.dotted_string == "1.2.643.7.1.1.1.1"  # GOST 256
    assert first.signature_algorithm_oid.dotted_string == "1.2.643.7.1.1.3.2"
    assert (bundle / "ca.pem").read_bytes() == pki.ca_certificate_path.read_bytes()

    hub_before = pki.signing_key("hub").certificate

    # When its certificate rotates and the earlier one is revoked, and the hub's key rotates
    _ok(cli, "partners", "rotate-cert", "kdn", "--overlap-hours", "0")
    fingerprint = first.fingerprint(hashes.SHA256()).hex()
    _ok(cli, "partners", "revoke-cert", "kdn", "--fingerprint", fingerprint, "--reason", "x")
    _ok(cli, "pki", "rotate-hub-key", "--reason", "yearly")

    # Then the new certificates are GOST too, the GOST-signed CRL lists the earlier kdn one only
    second = x509.load_pem_x509_certificate((bundle / "cert.pem").read_bytes())
    assert second.public_key_algorithm_oid.dotted_string == "1.2.643.7.1.1.1.1"
    hub_after = pki.signing_key("hub").certificate
    assert hub_after.public_key_algorithm_oid.dotted_string == "1.2.643.7.1.1.1.1"
    assert hub_after.serial_number != hub_before.serial_number
    retired = data_dir / "pki" / "systems" / "hub" / "retired" / f"{hub_before.serial_number:x}.pem"
    assert x509.load_pem_x509_certificate(retired.read_bytes()) == hub_before
    crl = x509.load_pem_x509_crl((data_dir / "pki" / "crl.pem").read_bytes())
    assert crl.signature_algorithm_oid.dotted_string == "1.2.643.7.1.1.3.2"
    assert [entry.serial_number for entry in crl] == [first.serial_number]
    # and the PKI stays GOST: a plain `pki init` does not turn it into an RSA one
    again = cli.invoke(app, ["pki", "init"])
    assert again.exit_code == 1
    assert "is gost, not rsa" in again.stderr


def test_a_gost_pki_without_the_engine_names_the_package(
    cli: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    # OPENSSL_ENGINES: a folder without the engine's gost.so
    refused = cli.invoke(
        app, ["pki", "init", "--crypto", "gost"], env={"OPENSSL_ENGINES": str(tmp_path)}
    )
    assert refused.exit_code == 1
    assert "apt-get install openssl libengine-gost-openssl" in refused.stderr
    assert isinstance(refused.exception, SystemExit)  # a message, not a traceback
    assert not DevPki(data_dir / "pki").exists


def test_verify_gives_the_verdict_and_the_rejection_code(
    cli: CliRunner, pki: DevPki, tmp_path: Path
) -> None:
    signed = Signers(pki).sign(make_envelope(sender="police"))
    good, forged = tmp_path / "good.xml", tmp_path / "forged.xml"
    good.write_bytes(signed)
    forged.write_bytes(signed.replace("Ключевская".encode(), "Садовая".encode(), 1))

    assert "VALID FamilyReferral 1.0" in _ok(cli, "verify", str(good))
    refused = cli.invoke(app, ["verify", str(forged)])
    assert refused.exit_code == 1
    assert "signature.digest_mismatch" in refused.output


def test_send_signs_with_the_senders_bundle_and_posts(
    hub_api: RunningHub, cli: CliRunner, tmp_path: Path
) -> None:
    envelope = tmp_path / "referral.xml"
    envelope.write_bytes(etree.tostring(make_envelope(sender="police")))

    output = _ok(cli, "send", str(envelope), "--hub", hub_api.url)
    again = cli.invoke(app, ["send", str(envelope), "--hub", hub_api.url])

    assert "accepted" in output
    assert "social" in output
    assert "kdn" in output
    assert again.exit_code == 0  # a resend is reported as already accepted, not an error
    assert "already" in again.output


def test_send_names_the_envelope_error_before_it_looks_for_credentials(
    cli: CliRunner, tmp_path: Path
) -> None:
    # Given an envelope whose header lost its Sender: no bundle can be chosen for it
    envelope = make_envelope(sender="police")
    for sender in envelope.findall("{*}Header/{*}Sender"):
        envelope[0].remove(sender)
    file = tmp_path / "no-sender.xml"
    file.write_bytes(etree.tostring(envelope))

    refused = cli.invoke(app, ["send", str(file), "--hub", "http://127.0.0.1:9"])

    assert refused.exit_code == 1
    assert "is not a valid envelope" in refused.stderr
    assert "Sender" in refused.stderr


def test_make_demo_runs_twice_on_the_embedded_stack(tmp_path: Path) -> None:
    env = _demo_env(tmp_path)
    for _ in range(2):
        done = _run_demo(env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "все проверки пройдены" in done.stdout
    assert (tmp_path / "var" / "hub.db").exists()
    assert (tmp_path / "var" / "redis" / "appendonly.aof").exists() or any(
        (tmp_path / "var" / "redis").glob("appendonly*")
    )
    _the_demo_curator_sees_the_late_action(done.stdout, env)


def test_the_demo_runs_on_gost_keys_and_the_log_holds_gost_signatures(tmp_path: Path) -> None:
    # Given a clean data folder, when the whole demo runs with GOST keys for everyone
    # (wide enough for the SignatureMethod URIs in its table to print whole)
    done = _run_demo(_demo_env(tmp_path, columns=120), "--crypto", "gost")
    if done.returncode != 0 and "libengine-gost-openssl" in done.stderr:
        require_service("OpenSSL's GOST engine", RuntimeError(done.stderr))

    # Then every check passed and the output names the algorithm,
    assert done.returncode == 0, done.stdout + done.stderr
    assert "все проверки пройдены" in done.stdout
    assert "HUB_SIGNATURE_PROVIDERS=gost256" in done.stdout
    assert GOST_256.signature_method in done.stdout
    # the partners' bundles, with which the gateways signed, hold GOST keys,
    bundle_cert = tmp_path / "var" / "partners" / "police" / "cert.pem"
    certificate = x509.load_pem_x509_certificate(bundle_cert.read_bytes())
    assert certificate.public_key_algorithm_oid.dotted_string == GOST_256.key_oid
    # and every message in the log, read back as received, carries the GOST SignatureMethod.
    engine = make_engine(Settings(data_dir=tmp_path / "var").effective_database_url)
    try:
        with engine.connect() as connection:
            raws = connection.scalars(select(MessageLog.raw)).all()
    finally:
        engine.dispose()
    assert len(raws) >= 30
    assert {signature_method_of(parse_xml(raw)) for raw in raws} == {GOST_256.signature_method}


def _demo_env(tmp_path: Path, *, columns: int = 80) -> dict[str, str]:
    """The demo owns its stack (no external database or broker) and its data under tmp_path;
    ``columns``: 80 is a plain terminal, where the printed logins and passwords stay whole."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["HUB_DATA_DIR"] = str(tmp_path / "var")
    env["COLUMNS"] = str(columns)
    return env


def _run_demo(env: dict[str, str], *arguments: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "demo", *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _the_demo_curator_sees_the_late_action(demo_output: str, env: dict[str, str]) -> None:
    """`hub serve` after the demo: its curator logs in with the printed password."""
    table = demo_output.split("Учётные записи для веб-страниц", 1)[1]
    accounts = {
        cells[1]: cells[2]
        for line in table.splitlines()
        for cells in [[c.strip() for c in line.split("│")]]
        if len(cells) == 6 and cells[1] and cells[2]
    }
    # This run's Kaluga family stays open with its late action; the demo names its curator.
    named = re.search(r"Дело для просмотра: (\S+), куратор (\S+)", demo_output)
    assert named, "the demo does not say which case and curator to look at"
    case_ref, curator_login = named.groups()
    curator = (curator_login, accounts[curator_login])
    officer = ("health.kamchatka", accounts["health.kamchatka"])
    with _serving(env, "--no-worker") as (serve, port):
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + "/readyz", serve)
        with _logged_in(base, *curator) as http:
            listing = http.get("/cases")
            assert listing.status_code == 200
            assert f'case-row has-overdue" data-case-ref="{case_ref}"' in listing.text
            case_page = http.get(f"/cases/{case_ref}")
            assert 'class="overdue" data-action-id=' in case_page.text
            # Kaluga's rules, not Kamchatka's: monthly reports.
            assert "отчёты исполнителей — раз в 1 мес." in case_page.text
            # Every page and export she reaches, with the run's real messages, is Russian.
            numbers = set(re.findall(r'data-case-ref="([^"]+)"', listing.text))
            latin = {
                path: latin_words(text, allowed=numbers) for path, text in read_site(http).items()
            }
            assert {path: words for path, words in latin.items() if words} == {}
        with _logged_in(base, *officer) as http:
            # The hospital officer of Kamchatka: not this region, not this case.
            assert http.get(f"/cases/{case_ref}").status_code == 404
            assert case_ref not in http.get("/cases").text
        with _logged_in(base, "admin", accounts["admin"]) as http:
            # The administrator finds the case's messages and follows one's path.
            found = http.get("/admin/messages", params={"case_ref": case_ref})
            hub_ids = re.findall(r'href="/admin/messages/(\d+)"', found.text)
            assert len(hub_ids) >= 5  # receipt, survey, decision, plan, statuses, the notice
            message = http.get(f"/admin/messages/{hub_ids[0]}")
            assert message.status_code == 200
            # Its path: the deliveries with their attempts, and the signature checked again.
            assert "Доставка №" in message.text
            assert "Подпись верна" in message.text


@contextlib.contextmanager
def _logged_in(base: str, login: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as http:
        form = http.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token
        answer = http.post(
            "/login",
            data={"login": login, "password": password, "login_csrf": token.group(1), "next": "/"},
        )
        assert answer.status_code == 303, answer.text
        yield http


def test_serve_stops_on_sigterm_and_takes_its_redis_down(tmp_path: Path) -> None:
    # Given `hub serve` on the embedded stack, answering readiness
    data = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["HUB_DATA_DIR"] = str(data)
    subprocess.run([sys.executable, "-m", "hub.cli", "pki", "init"], env=env, check=True)
    with _serving(env) as (serve, port):
        _wait_ready(f"http://127.0.0.1:{port}/readyz", serve)
        redis_pid = int((data / "redis" / "redis.pid").read_text())

        # When it is told to stop
        serve.send_signal(signal.SIGTERM)

        # Then it exits cleanly, and the Redis it started is gone with it
        assert serve.wait(timeout=60) == 0
        assert not Path(f"/proc/{redis_pid}").exists()


@contextlib.contextmanager
def _serving(env: dict[str, str], *options: str) -> Iterator[tuple["subprocess.Popen[bytes]", int]]:
    """`hub serve` as a process of its own, on a port held for it from before its start
    until after its end (``tooling.rig.ports``); terminated on leaving, if still running."""
    with ReservedPort() as reserved:
        serve = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "serve", "--port", str(reserved.port), *options],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield serve, reserved.port
        finally:
            if serve.poll() is None:
                serve.terminate()
            serve.wait(timeout=60)


def _wait_ready(
    url: str,
    process: "subprocess.Popen[bytes]",
    get: Callable[[str], httpx.Response] = httpx.get,
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "hub serve exited early"
        try:
            if get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    pytest.fail("hub serve did not become ready")


# PostgreSQL only: on SQLite the same story is `make demo`'s, run above (twice) and on GOST
# keys; the machine's Redis beside SQLite is every integration test's.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_whole_lifecycle_on_postgresql_and_the_machines_redis(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    # The same story as `make demo`, on the production backends.
    settings = Settings(data_dir=tmp_path / "var", database_url=database_url, broker_url=redis_url)
    console = Console(file=io.StringIO(), width=120)

    assert run_demo(settings, console)

    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "✗" not in output
    assert "получено уведомление о снятии с учёта" in output


def test_key_and_certificate_rotations_reach_a_running_hub_serve(
    cli: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    # Given `hub serve` running as its own process, police and kdn onboarded
    _ok(cli, "pki", "init")
    _ok(cli, "db", "upgrade")
    _ok(cli, "partners", "add", "police", "-o", "ОМВД")
    _ok(cli, "partners", "add", "kdn", "-o", "КДН и ЗП", "--endpoint", "http://127.0.0.1:9/soap")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"HUB_DATA_DIR": str(data_dir), "HUB_CRL_RECHECK_S": "0"}
    old_bundle = tmp_path / "police-old"

    with _serving(env, "--no-worker") as (serve, port):
        hub_url = f"http://127.0.0.1:{port}"

        def send(credentials: Path | None = None) -> Result:
            envelope = tmp_path / f"referral-{time.monotonic_ns()}.xml"
            envelope.write_bytes(etree.tostring(make_envelope(sender="police")))
            extra = ["--credentials", str(credentials)] if credentials else []
            return cli.invoke(app, ["send", str(envelope), "--hub", hub_url, *extra])

        _wait_ready(f"{hub_url}/readyz", serve)
        assert send().exit_code == 0
        pki = DevPki(data_dir / "pki")
        first_hub = pki.signing_key("hub").certificate

        # When the hub's key and the police certificate rotate, the serving process untouched
        _ok(cli, "pki", "rotate-hub-key", "--reason", "yearly")
        shutil.copytree(data_dir / "partners" / "police", old_bundle)
        _ok(cli, "partners", "rotate-cert", "police", "--overlap-hours", "1")

        # Then the running hub signs with its new key, and takes both police certificates
        assert send().exit_code == 0, "the new police certificate"
        assert send(old_bundle).exit_code == 0, "the old one, within the overlap"
        old_police = x509.load_pem_x509_certificate((old_bundle / "cert.pem").read_bytes())
        fingerprint = old_police.fingerprint(hashes.SHA256()).hex()
        _ok(cli, "partners", "revoke-cert", "police", "--fingerprint", fingerprint, "--reason", "x")
        refused = send(old_bundle)
        assert refused.exit_code == 1
        assert "refused signature.revoked (403)" in refused.stderr
        assert send().exit_code == 0, "the new one is not revoked"

    second_hub = pki.signing_key("hub").certificate
    engine = make_engine(Settings(data_dir=data_dir).effective_database_url)
    try:
        with engine.connect() as connection:
            copies = (
                connection.execute(select(OutboxDelivery.payload).order_by(OutboxDelivery.id))
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    verifier = XmlVerifier(TrustStore.load(data_dir / "pki"))
    signed_by = [
        verifier.verify(parse_xml(copy), expected_sender="hub").certificate for copy in copies
    ]
    assert signed_by == [first_hub] + [second_hub] * 3
