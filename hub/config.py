"""Settings from the environment: where the data lives, which services to use, and limits.

``DATABASE_URL`` and ``REDIS_URL`` select PostgreSQL and an external Redis (or
``amqp://`` for RabbitMQ); without them the hub runs its embedded stack — SQLite in
WAL mode and a Redis it starts itself — under ``HUB_DATA_DIR`` (default ``./var``).
"""

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: RabbitMQ's default ``consumer_timeout``, in milliseconds: a delivery a consumer holds
#: unacknowledged for longer gets its channel closed.
RABBITMQ_CONSUMER_TIMEOUT_MS = 1_800_000


class Settings(BaseSettings):
    """The hub's configuration; every field can be set as ``HUB_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="HUB_", frozen=True)

    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "HUB_DATABASE_URL")
    )
    broker_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "BROKER_URL", "HUB_BROKER_URL"),
    )
    #: Routing rules YAML; the packaged default when unset.
    routing_rules: Path | None = None
    #: Folder of region rules (one YAML per region); the packaged regions when unset.
    regions_dir: Path | None = None
    #: Retention of message bodies per type (a YAML with a ``retention:`` section); the
    #: packaged hub/archive/retention.yaml when unset.
    retention_rules: Path | None = None
    #: Where ``hub archive`` files are kept: the trace, evidence and ``hub cases rebuild``
    #: read archived bodies from here (unset: archived bodies cannot be read).
    archive_dir: Path | None = None
    #: A certificate (PEM, RSA) whose key new archive files are sealed to; unset: not sealed.
    archive_recipient_cert: Path | None = None
    #: The private key (PEM file, unencrypted) that opens sealed archive files here.
    archive_key: Path | None = None
    #: How often the worker looks for actions past their deadline, in seconds.
    escalation_interval_s: float = Field(default=60.0, gt=0)
    #: How often the worker signs a checkpoint of the log's chain head, in seconds.
    checkpoint_interval_s: float = Field(default=3_600.0, gt=0)

    #: Messages a second one partner may post, across all API processes (0: no limit).
    partner_rate_per_s: int = Field(default=500, ge=0)
    #: Where the rate limit counts when the broker is not Redis (RabbitMQ); unset: the
    #: broker's own Redis.
    rate_limit_redis_url: str | None = None
    #: Largest message accepted, in bytes.
    max_message_bytes: int = Field(default=1_048_576, gt=0)
    #: A message's CreatedAt may be at most this old, in seconds.
    max_message_age_s: int = Field(default=86_400, gt=0)
    #: …and at most this far in the future (clock skew), in seconds.
    max_future_skew_s: int = Field(default=300, ge=0)

    #: Delivery attempts after the first before a message goes to the dead letters.
    delivery_max_retries: int = Field(default=8, ge=0)
    #: Backoff between attempts, in milliseconds (exponential, with jitter).
    delivery_min_backoff_ms: int = Field(default=1_000, gt=0)
    delivery_max_backoff_ms: int = Field(default=300_000, gt=0)
    #: Timeout of one call to a partner system, in seconds.
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    #: How long a claim on an outbox row lasts before another worker may take it, in seconds.
    delivery_lease_s: int = Field(default=60, gt=0)
    #: Most due rows of one partner a worker claims and delivers per broker message.
    delivery_batch_size: int = Field(default=20, gt=0)
    #: A pulled message not acknowledged within this many seconds is offered again.
    inbox_visibility_s: int = Field(default=60, gt=0)
    #: Sweeper: how often it runs, and how long a row may wait unnoticed, in seconds.
    sweep_interval_s: float = Field(default=5.0, gt=0)
    stuck_after_s: float = Field(default=120.0, gt=0)
    #: Circuit breaker per partner: consecutive failed attempts that open it…
    circuit_failure_threshold: int = Field(default=5, gt=0)
    #: …the first cool-down before one probe is let through, in seconds, doubled after
    #: each failed probe up to the maximum.
    circuit_cooldown_s: float = Field(default=30.0, gt=0)
    circuit_max_cooldown_s: float = Field(default=600.0, gt=0)
    #: How often a running hub looks for a new CRL (revocations) and a rotated hub key, in seconds.
    crl_recheck_s: float = Field(default=5.0, ge=0)
    #: How long an API key and a registered certificate that passed are trusted again
    #: without reading the database, in seconds; never longer than ``crl_recheck_s``
    #: (``credential_recheck_s``), so a revocation through the hub takes effect as soon as
    #: one in the CRL would.
    credential_cache_s: float = Field(default=2.0, ge=0)
    #: The signature algorithm families the hub accepts, comma-separated: ``rsa`` (RSA and
    #: ECDSA), ``gost256`` and ``gost512`` (GOST R 34.10-2012); a region on GOST sets
    #: ``gost256``, a mixed one ``rsa,gost256``. The hub's own key must be of one of them
    #: (checked at start, with the names, by ``hub.ingest.factory.verify_policy``).
    signature_providers: str = "rsa"
    #: How many ingest transactions an API process may commit as one: the requests
    #: that arrive while a group commits form the next (``hub.ingest.group``); 1 commits
    #: each alone.
    ingest_group_max: int = Field(default=32, gt=0)
    #: Threads per worker process.
    worker_threads: int = Field(default=8, gt=0)

    #: How long a person's web session lasts after login, in seconds (a working day).
    session_ttl_s: int = Field(default=28_800, gt=0)
    #: Failed logins allowed per login, and per client address, within the window…
    login_max_failures: int = Field(default=5, gt=0)
    #: …of this many seconds, before further tries are refused until it slides past.
    login_window_s: int = Field(default=900, gt=0)
    #: How long an approved evidence export can be downloaded (once), in seconds (a day).
    evidence_approval_ttl_s: int = Field(default=86_400, gt=0)
    #: Mark the session cookie Secure even on plain HTTP requests (set behind a TLS proxy
    #: that does not forward the scheme); requests that arrive over HTTPS always get it.
    cookie_secure: bool = False
    #: The reverse proxies in front of the API, comma-separated addresses or CIDR networks
    #: (``10.0.0.5,10.1.0.0/24``): ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are
    #: believed only from a peer among them. Empty (the default): never, so no client can
    #: choose the address the login throttle and the audit log see.
    trusted_proxies: str = ""
    #: Login attempts older than this many seconds are deleted (each login prunes them);
    #: at least the login window, which counts them.
    login_attempt_retention_s: int = Field(default=30 * 86_400, gt=0)

    #: The daily «требует внимания» e-mail: the SMTP server (unset: no e-mail is sent)…
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    #: …its login (unset: none), STARTTLS before it, and the sender's address.
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "hub@localhost"
    #: The local hour (in each person's region) from which that day's summary is sent.
    digest_hour: int = Field(default=8, ge=0, le=23)

    #: Alert rules YAML; the packaged ``hub/alerts/rules.yaml`` when unset.
    alert_rules: Path | None = None
    #: How often a worker evaluates the alert rules, in seconds.
    alert_interval_s: float = Field(default=60.0, gt=0)
    #: Who gets alert notices by e-mail (over the SMTP settings above), comma-separated…
    alert_email_to: str | None = None
    #: …and/or the URL each notice is POSTed to as JSON, with this timeout in seconds.
    alert_webhook_url: str | None = None
    alert_webhook_timeout_s: float = Field(default=10.0, gt=0)

    #: A worker whose heartbeat is older than this many seconds no longer counts as alive.
    worker_stale_s: float = Field(default=30.0, gt=0)
    #: Log records as one JSON object a line (``json``) or as plain text (``text``).
    log_format: Literal["json", "text"] = "json"
    #: Lowest level logged: DEBUG, INFO, WARNING, ERROR.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: ``/metrics`` requires ``Authorization: Bearer <this token>``; unset, it is refused.
    metrics_token: str | None = Field(default=None, min_length=16)
    #: The passphrase ``hub backup`` seals with and ``hub restore`` opens with, for
    #: scheduled backups (unset: ``--passphrase-file`` or a prompt).
    backup_passphrase: SecretStr | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in _comma_list(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or a CIDR network") from None
        return value

    @property
    def credential_recheck_s(self) -> float:
        """How long a passed API key or certificate check is remembered, in seconds."""
        return min(self.credential_cache_s, self.crl_recheck_s)

    @model_validator(mode="after")
    def _attempts_outlive_the_login_window(self) -> "Settings":
        # The throttle counts the attempts of the last window: pruning them sooner would
        # let a guesser through.
        if self.login_attempt_retention_s < self.login_window_s:
            raise ValueError("HUB_LOGIN_ATTEMPT_RETENTION_S must be at least HUB_LOGIN_WINDOW_S")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_partner_call(self) -> "Settings":
        # The lease is also the actor's time limit: a call that outlived it would let a
        # second worker claim the row while the first is still delivering.
        if self.delivery_timeout_s >= self.delivery_lease_s:
            raise ValueError("HUB_DELIVERY_TIMEOUT_S must be shorter than HUB_DELIVERY_LEASE_S")
        return self

    @model_validator(mode="after")
    def _backoff_within_rabbitmqs_consumer_timeout(self) -> "Settings":
        # dramatiq's RabbitMQ worker holds a retry's delayed message unacknowledged until it
        # is due; one held past consumer_timeout closes the worker's channel.
        scheme = urlsplit(self.broker_url or "").scheme
        if scheme in {"amqp", "amqps"} and (
            self.delivery_max_backoff_ms >= RABBITMQ_CONSUMER_TIMEOUT_MS
        ):
            raise ValueError(
                f"HUB_DELIVERY_MAX_BACKOFF_MS ({self.delivery_max_backoff_ms}) must be below "
                f"RabbitMQ's consumer_timeout ({RABBITMQ_CONSUMER_TIMEOUT_MS} ms, 30 min) when "
                "the broker (REDIS_URL) is amqp://: a worker holds a delayed retry "
                "unacknowledged until it is due"
            )
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        """``trusted_proxies`` as a list (empty: no proxy is trusted)."""
        return _comma_list(self.trusted_proxies)

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def effective_database_url(self) -> str:
        """``DATABASE_URL``, or the embedded SQLite file under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
