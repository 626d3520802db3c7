"""schemathesis against the app's own OpenAPI schema, on real Redis and each database: every
operation is called with generated valid and invalid input, as an admin by bearer token and by
cookie + CSRF; no answer may be a 5xx, and every documented answer must match its schema.

The run is bounded (EXAMPLES per operation and mode) so it stays within about half a minute per
backend; the figures are printed (`-s`).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup
from sqlalchemy import select

from tests.integration.accounts.support import signed_in
from tests.integration.helpers import add_user, bearer
from triage.api.app import create_app
from triage.platform import tables as t
from triage.platform.db import transaction

EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 2}
COOKIE_EXAMPLES = 1  # the cookie pass checks the session + CSRF path, not the inputs again
CHECKS = [not_a_server_error, response_schema_conformance]
# Operations that could lock the fuzzing admin out act on a second account instead.
VICTIM_PATHS = {"/api/users/{user_id}/deactivate": "user_id",
                "/api/users/{user_id}/reactivate": "user_id",
                "/api/tokens/{token_id}/revoke": "token_id"}


def _short_plan(case):
    """The roster planner may be given up to 60 s; a fuzz call gets a fraction of one."""
    if not isinstance(case.body, dict):  # no body: the default limit, seconds long
        case.body, case.media_type = {}, "application/json"
    if isinstance(case.body.get("time_limit", 0), (int, float)):
        case.body["time_limit"] = min(case.body.get("time_limit", 0.2), 0.2)
    return case


TAME = {"/api/roster/plan": _short_plan}


def _ids_of(services, username: str) -> tuple[int, int]:
    with transaction(services.db) as session:
        user = session.scalar(select(t.User).where(t.User.username == username))
        token = session.scalar(select(t.ApiToken.id).where(t.ApiToken.user_id == user.id))
        return user.id, token


class Tally:
    """Calls, 5xx and failed checks per operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.server_errors: Counter[str] = Counter()
        self.failures: list[str] = []
        self.seconds: Counter[str] = Counter()
        self.signed_out: Counter[str] = Counter()
        self.statuses: Counter[tuple[str, int]] = Counter()

    def run(self, case, auth: str, **kwargs) -> None:
        label = f"{case.method} {case.path}"
        started = time.monotonic()
        response = case.call(**kwargs)
        self.seconds[label] += time.monotonic() - started
        self.calls[label] += 1
        if response.status_code >= 500:
            self.server_errors[label] += 1
        self.statuses[auth, response.status_code] += 1
        if response.status_code == 401 and not case.path.startswith("/webhooks/"):
            self.signed_out[auth] += 1  # the admin's token or session stopped working
        try:
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))
        except FailureGroup as group:
            for failure in group.exceptions:
                self.failures.append(f"{label} [{response.status_code}]: {failure.title}: "
                                     f"{str(failure.message).splitlines()[0][:200]}")


def _fuzz(operation, tally: Tally, mode: GenerationMode, examples: int, fixed: dict, auth: str,
          **call) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None)
    if operation.path in TAME:
        strategy = strategy.map(TAME[operation.path])

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(strategy)
    def run(case) -> None:
        tally.run(case, auth, **call)

    try:
        run()
    except Unsatisfiable:  # no input of this operation can be made invalid (no parameters)
        assert mode == GenerationMode.NEGATIVE, operation.label


@pytest.mark.timeout(300)  # ~15 s of CPU per backend; more on a busy machine
@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_no_operation_answers_generated_input_with_a_5xx_or_off_its_schema(services, monkeypatch):
    monkeypatch.setattr("triage.inbox.live.LIFETIME", 0.2)
    admin = add_user(services, "fuzz-admin", "admin")
    add_user(services, "victim", "agent")
    victim_user, victim_token = _ids_of(services, "victim")
    app = create_app(services)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    client, csrf = signed_in(services, "fuzz-admin")
    cookie = {"headers": {"X-CSRF-Token": csrf}, "cookies": dict(client.cookies)}
    tally, started = Tally(), time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        name = VICTIM_PATHS.get(operation.path)
        fixed = {name: victim_user if name == "user_id" else victim_token} if name else {}
        for mode, examples in EXAMPLES.items():
            _fuzz(operation, tally, mode, examples, fixed, "token", headers=bearer(admin))
        _fuzz(operation, tally, GenerationMode.POSITIVE, COOKIE_EXAMPLES, fixed, "cookie", **cookie)
    took = time.monotonic() - started
    print(f"\nschemathesis: {len(operations)} operations, {sum(tally.calls.values())} calls, "
          f"{sum(tally.server_errors.values())} 5xx, {len(tally.failures)} failed checks, "
          f"{took:.1f} s")
    print("answers:", dict(sorted(tally.statuses.items())))
    print("slowest:", [(k, round(v, 1)) for k, v in tally.seconds.most_common(8)])
    assert not tally.server_errors, tally.server_errors
    assert not tally.signed_out, tally.signed_out  # every call was really made as the admin
    assert not tally.failures, "\n".join(sorted(set(tally.failures))[:30])
    assert len(operations) >= 50 and min(tally.calls[f"{o.method.upper()} {o.path}"]
                                        for o in operations) >= 1
