"""`triage up` (everything on embedded defaults) and `triage demo` (realistic traffic)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime

import httpx
import typer
from rich.console import Console
from rich.progress import Progress

from triage.config import DEV_WEBHOOK_SECRET, get_settings

DEMO_USERS = ("admin", "lead", "agent")


def _wait_http(url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _seed_demo_users(password: str) -> None:
    from triage.accounts import service as accounts
    from triage.bootstrap import build_services
    from triage.platform.db import transaction

    services = build_services(get_settings())
    with transaction(services.db) as session:
        for role in DEMO_USERS:
            if accounts.find_user(session=session, username=role) is None:
                accounts.create_user(session=session, username=role, password=password, role=role,
                                     now=datetime.now(UTC))
        from triage.devstack.demo_staff import seed_demo_staff

        # Demo staff linked to `agent` and `lead`, on shift now, so routing shows assignments and waits.
        seed_demo_staff(session=session, now=datetime.now(UTC))
        from triage.devstack.demo_history import seed_demo_history

        # Six weeks of answered conversations, so the relationship health report has a past.
        agent = accounts.find_user(session=session, username="agent")
        seed_demo_history(session=session, now=datetime.now(UTC), resolver_id=agent.id if agent else None)
    from triage.devstack.demo import demo_crm_records
    from triage.people.crm_import import import_crm

    # A few CRM contacts for demo authors, so relationship value shows in the inbox.
    import_crm(db=services.db, records=demo_crm_records(), now=datetime.now(UTC))


def send_demo(*, url: str, count: int, seed: int, secret: str, console: Console) -> int:
    """Post generated traffic through the signed webhook, in batches per source."""
    from triage.devstack.demo import generate
    from triage.devstack.webhook_client import post

    docs = list(generate(count=count, end=datetime.now(UTC), seed=seed))
    by_source: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        by_source[d.pop("source")].append(d)
    sent = 0
    with httpx.Client(timeout=30) as client, Progress(console=console) as progress:
        task = progress.add_task("sending demo traffic", total=len(docs))
        for source, items in by_source.items():
            for i in range(0, len(items), 50):
                chunk = items[i:i + 50]
                r = post(client, url, source, secret, {"messages": chunk})
                if r.status_code != 202:
                    raise RuntimeError(f"webhook answered {r.status_code}: {r.text[:200]}")
                sent += len(chunk)
                progress.update(task, advance=len(chunk))
    return sent


def _start_demo_channels(settings, console: Console):
    """The demo blog and mailbox (development only); what cannot start is said, and skipped."""
    from triage.devstack.demo_inbound import DemoChannels, start_demo_channels

    if settings.env != "development":
        return DemoChannels()
    channels = start_demo_channels(settings)
    for reason in channels.skipped:
        console.print(f"[yellow]skipped {reason}[/yellow]")
    return channels


def _publish_polled_demo(settings, channels, console: Console) -> None:
    """Blog comments and support mails for the RSS and IMAP pollers to take through RQ."""
    from triage.devstack.demo_inbound import publish_demo

    comments, mails = publish_demo(settings, channels, now=datetime.now(UTC), seed=int(time.time()))
    if comments or mails:
        console.print(f"published {comments} blog comment(s) and delivered {mails} support mail(s); "
                      "the pollers take them within seconds (see /sources)")


def register_run(app: typer.Typer, console: Console) -> None:
    @app.command()
    def demo(url: str = typer.Option(None, help="base URL of a running service"),
             count: int = 300, seed: int = 7,
             secret: str = typer.Option(DEV_WEBHOOK_SECRET, help="the demo sources' webhook secret")) -> None:
        """Send realistic multi-channel traffic (recurring authors, threads, a complaint storm)."""
        settings = get_settings()
        base = url or f"http://{settings.host}:{settings.port}"
        sent = send_demo(url=base, count=count, seed=seed, secret=secret, console=console)
        console.print(f"sent {sent} messages to {base}")

    @app.command()
    def up(workers: int = typer.Option(1, help="worker processes"),
           demo_count: int = typer.Option(300, "--demo", help="demo messages to send (0: none)"),
           rules_only: bool = typer.Option(False, help="score with rules, skip the model")) -> None:
        """Run everything locally: Redis (embedded if none), migrations, API, workers, tick."""
        from triage.bootstrap import ensure_redis
        from triage.platform.db import migrate
        from triage.platform.metrics import prepare_multiprocess_dir

        settings = _claim_ports(get_settings(), console)
        url, embedded = ensure_redis(settings)
        os.environ["TRIAGE_REDIS_URL"] = url
        prepare_multiprocess_dir(settings.prometheus_dir)
        migrate(settings.sqlalchemy_url)
        password = settings.demo_password.get_secret_value()
        if settings.env == "development":
            _seed_demo_users(password)
        demo_channels = _start_demo_channels(settings, console)
        exe = [sys.executable, "-m", "triage.cli"]
        worker_args = ["worker", "--log-level", "WARNING"] + (["--rules-only"] if rules_only else [])
        commands = [[*exe, "api", "--log-level", "warning"]]
        commands += [[*exe, *worker_args] for _ in range(workers)]
        commands.append([*exe, "tick", "--every", str(settings.tick_seconds)])
        # Own sessions: Ctrl-C reaches only this process, which stops the children once, quietly.
        procs = [subprocess.Popen(c, start_new_session=True) for c in commands]
        base = f"http://{settings.host}:{settings.port}"
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            console.print("stopping...")
            if killed := _stop_all(procs):
                console.print(f"[yellow]stopped by SIGKILL after {STOP_GRACE:.0f} s: pid {killed}[/yellow]")
            demo_channels.stop()
            if embedded is not None:
                embedded.stop()
            raise typer.Exit()

        # SIGINT too: started from a background shell (nohup, `cmd &` in a script) Python inherits
        # SIGINT ignored and never raises KeyboardInterrupt, so Ctrl-C's signal stopped nothing.
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, stop)
        try:
            if not _wait_http(f"{base}/health", timeout=60):
                console.print("[red]the API did not come up; see the log above[/red]")
                stop()
            if demo_count:
                send_demo(url=base, count=demo_count, seed=int(time.time()) % 10_000,
                          secret=DEV_WEBHOOK_SECRET, console=console)
                _publish_polled_demo(settings, demo_channels, console)
            console.print(f"\n[bold]Inbox:[/bold] {base}/inbox")
            if settings.env == "development":
                console.print(f"Sign in as [bold]agent[/bold], [bold]lead[/bold] or [bold]admin[/bold], "
                              f"password [bold]{password}[/bold] (development only)")
            console.print("Ctrl-C stops everything.")
            for _ in itertools.count():
                if any(p.poll() is not None for p in procs):
                    console.print("[red]a process exited; stopping[/red]")
                    stop()
                time.sleep(1)
        except KeyboardInterrupt:
            stop()


STOP_GRACE = 15.0  # seconds for all children together, then SIGKILL: Ctrl-C never waits a minute


def _stop_all(procs: list[subprocess.Popen], grace: float = STOP_GRACE) -> list[int]:
    """SIGTERM each child's process group (uvicorn, RQ with its scheduler process, the tick all shut
    down gracefully on it), then wait, so nothing still talks to Redis when it stops.

    One deadline for all of them: waiting 15 s per child in turn let a stop take over a minute when
    several were slow. Returns the pids that needed SIGKILL."""
    for p in procs:
        _signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
    killed = [p.pid for p in procs if p.poll() is None]
    for p in procs:
        if p.poll() is None:
            _signal_group(p, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)
    return killed


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _claim_ports(settings, console: Console):
    """Refuse a taken API port plainly; move the demo blog and mailbox to free ports if theirs are taken.

    The chosen demo ports go into the environment, so the API, workers and tick read the same ones.
    """
    from triage.platform.redis_server import free_port, port_free

    if not port_free(settings.port, settings.host):
        console.print(f"[red]port {settings.port} on {settings.host} is in use: stop what listens there "
                      f"or choose another with TRIAGE_PORT=...[/red]")
        raise typer.Exit(2)
    if settings.env != "development":
        return settings
    changed = False
    for name, offset in (("demo_blog_port", 1), ("demo_mailbox_port", 2)):
        port = getattr(settings, name) or settings.port + offset
        if not port_free(port):
            os.environ[f"TRIAGE_{name.upper()}"] = str(free_port())
            changed = True
    if changed:
        get_settings.cache_clear()
    return get_settings()
