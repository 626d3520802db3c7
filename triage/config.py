"""Settings: the only module that reads the environment (TRIAGE_* variables and .env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
        "interval": DEMO_POLL_INTERVAL})
    sources[DEMO_MAILBOX] = SourceSettings(channel="imap", options={
        "host": "127.0.0.1", "port": mail_port, "username": DEMO_MAILBOX_USER,
        "password": DEMO_MAILBOX_PASSWORD, "security": "none", "interval": DEMO_POLL_INTERVAL})
    return sources


def _polls(channel: str) -> bool:
    """True when the channel's connector polls: its credentials are options, not a webhook secret."""
    from triage.intake.connectors.registry import (
        load_channels,  # late: only non-development settings ask
    )

    cls = load_channels().get(channel)
    return cls is not None and cls.kind == "poller"


class Settings(BaseSettings):
    """Every option of the service; the README lists each with its default."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

    env: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(PLACEHOLDER)
    data_dir: Path = Path("var")
    database_url: str | None = None  # None: SQLite file under data_dir
    redis_url: str | None = None  # None: an embedded redis-server under data_dir
    redis_appendfsync: Literal["always", "everysec"] = "everysec"
    host: str = "127.0.0.1"
    port: int = 8000
    # The demo blog and mailbox `triage up` serves; None: the API port + 1 and + 2 (`up` picks free
    # ones when those are taken). Declared before `sources`, whose default reads them.
    demo_blog_port: int | None = None
    demo_mailbox_port: int | None = None
    sources: dict[str, SourceSettings] = Field(default_factory=_default_sources)
    webhook_replay_window: int = 300  # seconds a signed request stays valid
    webhook_max_body: int = 1_000_000  # bytes; larger bodies get 413
    seen_ttl_days: int = 30  # how long Redis remembers a (source, external id) for dedup
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

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "development":
            return self
        problems = []
        if self.secret_key.get_secret_value() in (PLACEHOLDER, ""):
            problems.append("TRIAGE_SECRET_KEY is the placeholder")
        for name, src in self.sources.items():
            if src.secret is None and _polls(src.channel):
                continue  # its connector's Config validates the credentials in its options
            value = src.secret.get_secret_value() if src.secret else ""
            if value in ("", PLACEHOLDER, DEV_WEBHOOK_SECRET):
                problems.append(f"source {name!r} has a placeholder or empty secret")
        if problems:
            raise ValueError(f"refusing to start in {self.env}: " + "; ".join(problems))
        return self

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        """Absolute from the start: child processes and redis-server change directory."""
        return value.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'triage.db').resolve()}"

    @property
    def prometheus_dir(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
