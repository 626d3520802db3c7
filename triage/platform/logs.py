"""Logging for every process: JSON lines in production, a readable console in development (structlog).

Standard-library loggers (uvicorn, RQ, SQLAlchemy) go through the same renderer, so one process
writes one format. Context bound with `bind` (a request id, a job id) rides on every line until
`clear`. Nothing here logs message text: at INFO we say what happened to which id, never what a
customer wrote.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Callable

import structlog

# RQ announces every job at INFO in four lines (dequeued, started, finished, result kept); at our
# rates that drowns everything else. Its warnings and errors still come through.
QUIET_AT_INFO = ("rq.worker", "rq.queue", "rq.job", "rq.scheduler")
REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID = 64  # characters kept from a caller's id; longer ones are replaced, not trusted


def setup(*, json: bool, level: str = "INFO", stream=None) -> None:
    """Route stdlib and structlog loggers through one renderer at `level`; safe to call twice."""
    renderer = (structlog.processors.JSONRenderer() if json
                else structlog.dev.ConsoleRenderer(colors=False))
    shared = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
              structlog.stdlib.add_logger_name,
              structlog.processors.TimeStamper(fmt="iso", utc=True)]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger, cache_logger_on_first_use=False)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_AT_INFO:
        logging.getLogger(name).setLevel(rq_level(level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []  # propagate to ours instead of printing twice
        logging.getLogger(name).propagate = True


def rq_level(level: str) -> str:
    """RQ's own level: WARNING unless we debug (RQ re-applies this level when a worker starts)."""
    return "DEBUG" if level.upper() == "DEBUG" else max(
        level.upper(), "WARNING", key=logging.getLevelName)


def get(name: str):
    """A structlog logger that carries whatever context is bound."""
    return structlog.get_logger(name)


def bind(**values: object) -> None:
    """Attach values (request_id, job_id) to every log line of this task or thread."""
    structlog.contextvars.bind_contextvars(**values)


def clear() -> None:
    """Forget the bound context (end of a request or a job)."""
    structlog.contextvars.clear_contextvars()


def request_id(incoming: str | None, *, new: Callable[[], str] = lambda: uuid.uuid4().hex) -> str:
    """The caller's X-Request-ID when it is a short printable token, else a fresh one."""
    if incoming and len(incoming) <= MAX_REQUEST_ID and all(
            c.isalnum() or c in "-_.:" for c in incoming):
        return incoming
    return new()
