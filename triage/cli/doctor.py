"""`triage doctor`: checks configuration, Redis, the database and its migrations, the model and each
source's credentials, and says what to fix. It starts nothing (no embedded Redis) and changes nothing."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import typer
from rich.table import Table

from triage.cli.common import console
from triage.config import MIN_SECRET_KEY, PLACEHOLDER, Settings

Level = Literal["ok", "warn", "fail"]
STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


@dataclass(frozen=True)
class Finding:
    """One check's verdict and, when it is not ok, what to do about it."""

    check: str
    level: Level
    detail: str
    fix: str = ""


def check_config(load: Callable[[], Settings]) -> tuple[Settings | None, list[Finding]]:
    """The settings load (placeholders, unreadable *_FILE) and production's runtime refusals."""
    try:
        settings = load()
    except Exception as exc:  # ValidationError or an unreadable secret file: show the reason
        return None, [Finding("configuration", "fail", _first_line(exc),
                              "set the TRIAGE_* variables named above (README: Configuration)")]
    found = [Finding("configuration", "ok", f"env={settings.env}")]
    for problem in settings.runtime_problems():
        found.append(Finding("configuration", "fail", problem, "set it, or allow it explicitly"))
    key = settings.secret_key.get_secret_value()
    if settings.env == "development" and (key == PLACEHOLDER or len(key) < MIN_SECRET_KEY):
        found.append(Finding("secret key", "warn", "development placeholder in use",
                             f"set TRIAGE_SECRET_KEY ({MIN_SECRET_KEY}+ characters) before deploying"))
    return settings, found


def check_redis(settings: Settings):
    """Redis answers at the configured URL (or the embedded one `triage up` left running)."""
    import redis

    from triage.platform.redis_server import reachable

    url = settings.redis_url
    if not url:
        state = settings.data_dir / "redis" / "url"
        url = state.read_text().strip() if state.exists() else None
        if not url or not reachable(url):
            return None, Finding("redis", "warn", "no TRIAGE_REDIS_URL and no embedded Redis running",
                                 "set TRIAGE_REDIS_URL, or run `triage up` (starts an embedded one)")
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        info = client.info("persistence")
    except redis.RedisError as exc:
        return None, Finding("redis", "fail", f"{_host(url)}: {type(exc).__name__}: {exc}",
                             "start Redis or correct TRIAGE_REDIS_URL")
    if not info.get("aof_enabled"):
        return client, Finding("redis", "warn", f"{_host(url)} answers, AOF is off",
                               "run redis-server --appendonly yes: accepted messages must survive a restart")
    try:
        fsync = str(client.config_get("appendfsync").get("appendfsync", "?"))
    except redis.RedisError:  # managed Redis often renames CONFIG: say we could not tell
        fsync = "unknown"
    if fsync != "always":
        return client, Finding("redis", "warn", f"{_host(url)} answers, AOF on, appendfsync {fsync}",
                               "run redis-server --appendfsync always: with everysec a killed Redis"
                               " loses messages it had already accepted")
    return client, Finding("redis", "ok", f"{_host(url)} answers, AOF on, appendfsync always")


def check_database(settings: Settings) -> Iterator[Finding]:
    """The database answers and its schema is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from triage.platform.db import alembic_config, make_engine

    url = settings.sqlalchemy_url
    try:
        with make_engine(url).connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        yield Finding("database", "fail", f"{_host(url)}: {_first_line(exc)}",
                      "start the database or correct TRIAGE_DATABASE_URL")
        return
    yield Finding("database", "ok", f"{_host(url)} answers")
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current == head:
        yield Finding("migrations", "ok", f"at {head}")
    else:
        yield Finding("migrations", "fail", f"database at {current or 'no schema'}, code needs {head}",
                      "run `triage migrate`")


def check_model(settings: Settings) -> Finding:
    """The scorer setting can be honoured: a promoted model and the libraries to run it."""
    if settings.scorer == "rules":
        return Finding("model", "ok", "TRIAGE_SCORER=rules: keyword rules, no model needed")
    current = settings.model_dir / "CURRENT"
    missing = [m for m in ("torch", "sentence_transformers", "sklearn")
               if importlib.util.find_spec(m) is None]
    level: Level = "fail" if settings.scorer == "model" else "warn"
    if missing:
        return Finding("model", level, f"not installed: {', '.join(missing)}",
                       "pip install '.[ml]' (the worker image has it); else rules score")
    if not current.exists():
        return Finding("model", level, f"{current} is missing", "run `triage train` or ship models/")
    version = current.read_text().strip()
    if not (settings.model_dir / version / "meta.json").exists():
        return Finding("model", level, f"{current} names {version!r}, which has no meta.json",
                       "re-run `triage train`, or point CURRENT at a complete version")
    return Finding("model", "ok", f"{version} promoted")


def check_sources(settings: Settings, redis_client) -> Iterator[Finding]:
    """Every source's connector accepts its configuration; pollers report their last status."""
    from triage.bootstrap import build_services
    from triage.intake.connectors.registry import load_channels

    channels = load_channels()
    for name, cfg in sorted(settings.sources.items()):
        cls = channels.get(cfg.channel)
        if cls is None:
            yield Finding(f"source {name}", "fail", f"unknown channel {cfg.channel!r}",
                          f"one of: {', '.join(sorted(channels))}")
            continue
        try:
            cls.Config.model_validate({"secret": cfg.secret, **cfg.options})
        except Exception as exc:  # pydantic names the missing or malformed credential
            yield Finding(f"source {name}", "fail", _first_line(exc),
                          f"set TRIAGE_SOURCES__{name}__options__... (README: Channel setup)")
            continue
        if cls.kind != "poller":
            yield Finding(f"source {name}", "ok", f"{cfg.channel} webhook, secret set")
    if redis_client is None or settings.runtime_problems():
        return
    from triage.intake.source_status import list_statuses

    try:
        statuses = list_statuses(services=build_services(settings, redis_client=redis_client))
    except Exception as exc:  # the database checks above already said why
        yield Finding("sources", "warn", f"status unavailable: {type(exc).__name__}")
        return
    for s in statuses:
        if s.status == "auth_expired":
            yield Finding(f"source {s.slug}", "fail", "credentials expired at the last poll",
                          f"renew the token, then `triage poll {s.slug}`")
        elif s.status in ("error", "retrying", "rate_limited"):
            yield Finding(f"source {s.slug}", "warn", f"last poll: {s.status}",
                          "`triage sources` shows the error")
        else:
            yield Finding(f"source {s.slug}", "ok", s.status)


def diagnose(load: Callable[[], Settings] = Settings) -> list[Finding]:
    """Run every check in order; later checks are skipped when what they need is missing."""
    settings, found = check_config(load)
    if settings is None:
        return found
    client, finding = check_redis(settings)
    found.append(finding)
    found += list(check_database(settings))
    found.append(check_model(settings))
    found += list(check_sources(settings, client))
    return found


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor() -> None:
        """Check configuration, Redis, database, migrations, model and sources; say what to fix."""
        found = diagnose()
        table = Table("check", "", "detail", "fix")
        for f in found:
            table.add_row(f.check, f"[{STYLE[f.level]}]{f.level}[/]", f.detail, f.fix)
        console.print(table)
        failed = sum(f.level == "fail" for f in found)
        console.print(f"{failed} to fix" if failed else "nothing to fix")
        if failed:
            raise typer.Exit(code=1)


def _host(url: str) -> str:
    """The URL without credentials, for printing."""
    return url.split("@")[-1] if "@" in url else url


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
