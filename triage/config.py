"""Settings: the only module that reads the environment (TRIAGE_* variables and .env)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PLACEHOLDER = "change-me"  # the development default; refused anywhere else
DEV_WEBHOOK_SECRET = "dev-webhook-secret"  # lets `make run` post demo traffic with no setup


class SourceSettings(BaseModel):
    """One configured account of a channel: which connector reads it, and its secrets."""

    channel: str = "generic"
    secret: SecretStr | None = None
    options: dict[str, object] = Field(default_factory=dict, repr=False)  # may hold credentials


DEMO_SOURCES = ("demo-x", "demo-facebook", "demo-email", "demo-forum", "demo-reddit", "demo-mastodon")


# Polled for real by `triage up`: a blog comment feed and a support mailbox it serves locally,
# on ports beside the API's so two `triage up` on different ports never share them.
DEMO_BLOG, DEMO_MAILBOX = "demo-blog", "demo-mailbox"
DEMO_BLOG_PORT_OFFSET, DEMO_MAILBOX_PORT_OFFSET = 1, 2
DEMO_MAILBOX_USER, DEMO_MAILBOX_PASSWORD = "support", "demo-mailbox-password"
DEMO_POLL_INTERVAL = 10  # seconds: demo comments and mails reach the inbox quickly


def _default_sources(data: dict) -> dict[str, SourceSettings]:
    """Development sources for the demo traffic: generic signed webhooks, plus (development only)
    the blog feed and the mailbox `triage up` serves, polled through RQ like any real account."""
    sources = {name: SourceSettings(channel="generic", secret=SecretStr(DEV_WEBHOOK_SECRET))
               for name in DEMO_SOURCES}
    if data.get("env", "development") != "development":
        return sources
    port = int(data.get("port", 8000))
    blog_port = data.get("demo_blog_port") or port + DEMO_BLOG_PORT_OFFSET
    mail_port = data.get("demo_mailbox_port") or port + DEMO_MAILBOX_PORT_OFFSET
    sources[DEMO_BLOG] = SourceSettings(channel="rss", options={
        "url": f"http://127.0.0.1:{blog_port}/comments/feed/",
        "interval": DEMO_POLL_INTERVAL, "allow_private_network": True})
    sources[DEMO_MAILBOX] = SourceSettings(channel="imap", options={
        "host": "127.0.0.1", "port": mail_port, "username": DEMO_MAILBOX_USER,
        "password": DEMO_MAILBOX_PASSWORD, "security": "none", "interval": DEMO_POLL_INTERVAL,
        "allow_private_network": True})
    return sources


def _polls(channel: str) -> bool:
    """True when the channel's connector polls: its credentials are options, not a webhook secret."""
    from triage.intake.connectors.registry import (
        load_channels,  # late: only non-development settings ask
    )

    cls = load_channels().get(channel)
    return cls is not None and cls.kind == "poller"


MIN_SECRET_KEY = 32  # characters: signs sessions and CSRF tokens; a short key can be guessed offline
AT_RISK_MINUTES = 30  # an item due within this is "at risk": time to act before the SLA is missed


class FileSecrets(PydanticBaseSettingsSource):
    """TRIAGE_<NAME>_FILE=/run/secrets/x: the value is the file's content (Docker/Kubernetes secrets).

    A named file that cannot be read stops the start with the variable named, rather than running
    on a default.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # noqa: ARG002
        variable = f"TRIAGE_{field_name.upper()}_FILE"
        path = os.environ.get(variable)
        if not path:
            return None, field_name, False
        try:
            return Path(path).read_text().strip(), field_name, field_name == "sources"
        except OSError as exc:
            raise ValueError(f"{variable}={path} cannot be read: {exc.strerror}") from exc

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name, info in self.settings_cls.model_fields.items():
            value, key, is_complex = self.get_field_value(info, name)
            if value is not None:
                values[key] = self.decode_complex_value(key, info, value) if is_complex else value
        return values


class Settings(BaseSettings):
    """Every option of the service; the README lists each with its default."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

    env: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(PLACEHOLDER)
    data_dir: Path = Path("var")
    database_url: str | None = None  # None: SQLite file under data_dir
    redis_url: str | None = None  # None: an embedded redis-server under data_dir
    # always: Redis writes and fsyncs the AOF before it answers, so a 202 means on disk. With
    # everysec a busy disk can postpone the write past the reply, and a killed Redis loses it (drill).
    redis_appendfsync: Literal["always", "everysec"] = "always"
    host: str = "127.0.0.1"
    port: int = 8000
    # The demo blog and mailbox `triage up` serves; None: the API port + 1 and + 2 (`up` picks free
    # ones when those are taken). Declared before `sources`, whose default reads them.
    demo_blog_port: int | None = None
    demo_mailbox_port: int | None = None
    sources: dict[str, SourceSettings] = Field(default_factory=_default_sources)
    webhook_replay_window: int = 300  # seconds a signed request stays valid
    webhook_max_body: int = 1_000_000  # bytes; larger bodies get 413
    # How long Redis remembers a (source, external id): webhook retries come within hours, and a later
    # repeat is still stopped by the database unique key. A key costs ~100 B, so 30 days at 100 msg/s
    # held ~26 GB of Redis.
    seen_ttl_days: int = 3
    ingest_batch: int = 200  # messages moved per drain job
    score_batch: int = 64  # messages per scoring call
    job_retries: int = 3
    stale_after_seconds: int = 60  # a message not scored by then is re-enqueued by the tick
    tick_seconds: float = 5.0
    # A drainer's read entries are claimed by another after this long unacknowledged; longer than a
    # drain pass (30 s), so a live one is rarely overtaken (and if it is, the unique key dedups).
    ingest_claim_idle_seconds: float = 60.0
    ingest_stall_seconds: float = 300.0  # /health says stalled when the oldest buffered is older
    tick_stale_seconds: float = 120.0  # /health says the tick is down without a heartbeat this long
    scorer: Literal["auto", "rules", "model"] = "auto"  # auto: the learned model when one loads
    model_dir: Path = Path("models")
    metrics_dir: Path | None = None  # prometheus multiprocess dir; default data_dir/metrics
    session_max_age: int = 8 * 3600  # a working day
    demo_password: SecretStr = SecretStr("demo-password")  # only used in development
    reply_mode: Literal["dry-run", "live"] | None = None  # None: live in production, else dry-run
    # Production refuses these conveniences unless told: an embedded redis-server dies with the
    # process that started it, and SQLite cannot be shared by several containers.
    allow_embedded_redis: bool = False
    allow_sqlite: bool = False
    log_format: Literal["auto", "json", "console"] = "auto"  # auto: json in production
    log_level: str = "INFO"
    metrics_token: SecretStr | None = None  # a bearer token Prometheus may use for /metrics only
    metrics_port: int | None = None  # worker/tick: serve /metrics here (each instance scraped)
    # Where that port listens: loopback unless told (compose says 0.0.0.0 and sets the token).
    metrics_host: str = "127.0.0.1"
    live_metrics: bool = True  # whether /metrics adds team-wide gauges (one process should)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        """Explicit arguments, then TRIAGE_* variables, then *_FILE secrets, then .env."""
        return (init_settings, env_settings, FileSecrets(settings_cls), dotenv_settings,
                file_secret_settings)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "development":
            return self
        problems = []
        if self.secret_key.get_secret_value() in (PLACEHOLDER, ""):
            problems.append("TRIAGE_SECRET_KEY is the placeholder")
        key = self.secret_key.get_secret_value()
        if self.env == "production" and key != PLACEHOLDER and len(key) < MIN_SECRET_KEY:
            problems.append(f"TRIAGE_SECRET_KEY has {len(key)} characters, needs {MIN_SECRET_KEY}+ "
                            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        for name, src in self.sources.items():
            if src.secret is None and _polls(src.channel):
                continue  # its connector's Config validates the credentials in its options
            value = src.secret.get_secret_value() if src.secret else ""
            if value in ("", PLACEHOLDER, DEV_WEBHOOK_SECRET):
                problems.append(f"source {name!r} has a placeholder or empty secret")
        if problems:
            raise ValueError(f"refusing to start in {self.env}: " + "; ".join(problems))
        return self

    def runtime_problems(self) -> list[str]:
        """What a production process must not start on (checked when services are built)."""
        if self.env != "production":
            return []
        problems = []
        if not self.redis_url and not self.allow_embedded_redis:
            problems.append("TRIAGE_REDIS_URL is not set (an embedded Redis dies with its process; "
                            "TRIAGE_ALLOW_EMBEDDED_REDIS=true to accept it)")
        if not self.database_url and not self.allow_sqlite:
            problems.append("TRIAGE_DATABASE_URL is not set (SQLite is one file on one machine; "
                            "TRIAGE_ALLOW_SQLITE=true to accept it)")
        if self.metrics_port and not self.metrics_token and not _loopback(self.metrics_host):
            problems.append(f"TRIAGE_METRICS_PORT listens on {self.metrics_host} without "
                            "TRIAGE_METRICS_TOKEN: anyone who reaches it reads the metrics")
        return problems

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        """Absolute from the start: child processes and redis-server change directory."""
        return value.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'triage.db').resolve()}"

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format == "auto" and self.env == "production")

    @property
    def metrics_bearer(self) -> str | None:
        """The token Prometheus must send to the metrics ports, or None (open: loopback only)."""
        return self.metrics_token.get_secret_value() if self.metrics_token else None

    @property
    def prometheus_dir(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"


def _loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
