"""``hub backup`` and ``hub restore``: the whole hub, keys included, in one sealed file.

The passphrase comes from ``--passphrase-file``, ``HUB_BACKUP_PASSPHRASE`` or a hidden
prompt, never from an argument (``ps`` and shell history would keep it); or the backup is
sealed to a recipient's certificate and opened with its private key.
"""

from pathlib import Path

import typer
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hub.backup import BackupRefused, BackupSources, restore_backup, write_backup
from hub.cli.common import DataDirOption, console, fail, load_settings
from hub.cli.log import verify_log
from hub.config import Settings
from hub.regions import default_regions_dir
from hub.routing.rules import default_rules_file
from hub.runtime import utc_now
from hub.sealing import Passphrase, PrivateKey, SealingError

PassphraseFileOption = typer.Option(
    None, "--passphrase-file", help="Read the passphrase from this file (its first line)."
)


def backup(
    target: Path = typer.Argument(..., help="An empty (or new) folder for the backup."),
    to_certificate: Path | None = typer.Option(
        None, "--to-certificate", help="Seal to this PEM certificate (RSA or EC), not a passphrase."
    ),
    passphrase_file: Path | None = PassphraseFileOption,
    data_dir: Path | None = DataDirOption,
) -> None:
    """Seal the database, PKI, partner bundles and rules into TARGET/hub-backup.sealed."""
    settings = load_settings(data_dir)
    sources = BackupSources(
        data_dir=settings.data_dir,
        database_url=settings.effective_database_url,
        routing_rules=settings.routing_rules or default_rules_file(),
        regions_dir=settings.regions_dir or default_regions_dir(),
    )
    try:
        if to_certificate is not None:
            to: Passphrase | x509.Certificate = _certificate(to_certificate)
        else:
            to = _passphrase(passphrase_file, settings, new=True)
        manifest = write_backup(sources, target, to, now=utc_now())
    except (BackupRefused, SealingError, ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"backup of {len(manifest.members)} file(s) ({manifest.database}) sealed in {target}",
        soft_wrap=True,
    )


def restore(
    source: Path = typer.Argument(..., help="The backup's folder."),
    data_dir: Path = typer.Option(..., "--data-dir", help="The new hub's (empty) data folder."),
    key_file: Path | None = typer.Option(
        None, "--key", help="The private key (PEM) of the certificate the backup is sealed to."
    ),
    passphrase_file: Path | None = PassphraseFileOption,
) -> None:
    """Check and restore a backup into a new data folder, then verify the restored log.

    A PostgreSQL backup goes to DATABASE_URL (from the environment, as the restored hub
    will read it; its schema must hold no table), a SQLite one into the data folder.
    """
    try:
        settings = load_settings(data_dir)
        if key_file is not None:
            key: Passphrase | PrivateKey = _private_key(key_file)
        else:
            key = _passphrase(passphrase_file, settings, new=False)
        restored = restore_backup(
            source, key, data_dir=data_dir, database_url=settings.database_url
        )
    except (BackupRefused, SealingError, ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"restored the backup of {restored.manifest.created_at:%Y-%m-%d %H:%M} UTC into "
        f"{data_dir}; its rules: HUB_ROUTING_RULES={restored.routing_rules} "
        f"HUB_REGIONS_DIR={restored.regions_dir}",
        soft_wrap=True,
    )
    # The restored hub's own check, as an operator would run it there.
    verify_log(data_dir)


def _passphrase(file: Path | None, settings: Settings, *, new: bool) -> Passphrase:
    """From ``file``, else ``HUB_BACKUP_PASSPHRASE``, else typed (twice for a new backup)."""
    if file is not None:
        lines = file.read_text(encoding="utf-8").splitlines()
        return Passphrase(lines[0] if lines else "")
    if settings.backup_passphrase is not None:
        return Passphrase(settings.backup_passphrase.get_secret_value())
    return Passphrase(typer.prompt("Passphrase", hide_input=True, confirmation_prompt=new))


def _certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _private_key(path: Path) -> PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (TypeError, UnsupportedAlgorithm) as exc:  # encrypted, or GOST
        raise ValueError(f"{path.name}: {exc}") from None
    if not isinstance(key, PrivateKey):
        raise ValueError(f"{path.name}: only RSA and EC keys open sealed backups")
    return key
