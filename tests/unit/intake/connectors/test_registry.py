import ast
from pathlib import Path

from pydantic import SecretStr

from triage.intake.connectors.base import Channel
from triage.intake.connectors.registry import BUILTINS, load_channels

CHANNELS_DIR = Path(__file__).resolve().parents[4] / "triage" / "intake" / "connectors"
FORBIDDEN = {"fastapi", "starlette", "redis", "rq", "sqlalchemy"}
SECRET_WORDS = ("secret", "token", "password")


def test_every_builtin_loads_under_its_own_slug():
    channels = load_channels()
    assert set(BUILTINS) <= set(channels)
    for slug, cls in channels.items():
        assert issubclass(cls, Channel) and cls.slug == slug


def test_webhooks_and_pollers_are_told_apart():
    channels = load_channels()
    assert {s for s, c in channels.items() if c.kind == "poller"} == {
        "rss", "mastodon", "reddit", "linkedin", "youtube", "imap"}


def test_every_credential_field_is_a_secret_str():
    for slug, cls in load_channels().items():
        for name, field in cls.Config.model_fields.items():
            if any(word in name for word in SECRET_WORDS) and "url" not in name:
                assert field.annotation in (SecretStr, SecretStr | None), (slug, name)


def test_connectors_import_no_web_framework_queue_or_database():
    for path in CHANNELS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not {n.split(".")[0] for n in names} & FORBIDDEN, path.name
