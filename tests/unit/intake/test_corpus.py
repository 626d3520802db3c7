"""Every real-world corpus file through its connector's real parse path: parsed or cleanly
ignored as expected.json says, with no tags, mojibake, markup or empty text left."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.unit.intake.corpus import CORPUS, RUNNERS, expected, problems

ENTRIES = expected()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_a_corpus_file_is_parsed_or_cleanly_ignored(entry):
    path = CORPUS / entry["file"]
    messages = RUNNERS[entry["channel"]](path, path.read_bytes())
    assert problems(entry, messages) == []


def test_every_corpus_file_is_listed_with_its_source_and_licence():
    listed = {e["file"] for e in ENTRIES}
    payloads = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*")
                if p.is_file() and p.name not in ("README.md", "SOURCES.md", "expected.json")
                and not p.name.endswith(".headers.json")}
    assert payloads == listed
    sources = (CORPUS / "SOURCES.md").read_text()
    assert [f for f in sorted(listed) if f"`{f}`" not in sources] == []


# Channels for which no licensed third-party capture was found (LinkedIn: partner-only API, and
# no licensed recording in public code); still fuzzed and tested on documented payloads.
NO_CAPTURE_YET = {"linkedin"}


def test_the_corpus_covers_every_channel_that_has_a_runner_except_the_named_gaps():
    per_channel = Counter(e["channel"] for e in ENTRIES)
    assert set(per_channel) | NO_CAPTURE_YET == set(RUNNERS), per_channel
    assert not set(per_channel) & NO_CAPTURE_YET, "a gap was filled: take it off NO_CAPTURE_YET"
