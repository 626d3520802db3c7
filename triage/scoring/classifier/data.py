"""Labelled records (the shared JSONL format) and the fixed train / calibration / held-back split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

FIELDS = ("urgency", "intent", "sentiment")
TRAIN_FILES = ("banking77_train.jsonl", "bitext_train.jsonl")
DEV_FILES = ("airline_dev.jsonl", "crisislex_dev.jsonl", "disaster_dev.jsonl",
             "tickets_smoke.jsonl")
# Where the repo sits beside shared/ (the layout in CI and on every machine).
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[4] / "shared" / "data"
SPLIT_SALT = "triage-split-v1"  # changing it changes which rows are held back: bump with care

# Share of each source used for fitting; the rest is held back for evaluation. Dev sources lend
# half, because the train files alone have no sentiment, no `low` urgency and no praise, and
# tickets_smoke is our only e-mail: without it every polite support e-mail reads as `low`.
TRAIN_SHARE = {"banking77": 0.85, "bitext_cs": 0.85, "airline_tweets": 0.5,
               "crisislex_t26": 0.5, "disaster_response": 0.5, "synthetic_tickets": 0.5}
CALIB_SHARE = 0.15  # of the fitted share, kept aside to fit the temperature of each head
LIMIT_SALT = "triage-limit-v1"  # not SPLIT_SALT: a subset keeps every split in proportion
CORRECTIONS = "corrections"  # dataset name given to managers' corrections: always trained on


def load_jsonl(path: Path) -> list[dict]:
    """Records of one JSONL file; blank lines skipped."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _bucket(record_id: str) -> float:
    digest = hashlib.sha1(f"{SPLIT_SALT}:{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(record: dict) -> str:
    """'train', 'calib' or 'holdout' for a record, the same on every machine and every run."""
    dataset = record.get("dataset", "")
    if dataset == CORRECTIONS:
        return "train"
    share = TRAIN_SHARE.get(dataset, 0.0)  # unknown sources are evaluation only
    b = _bucket(record["id"])
    if b >= share:
        return "holdout"
    return "calib" if b < share * CALIB_SHARE else "train"


def load_starter(data_dir: Path) -> list[dict]:
    """All six files; a missing file is an error so a partial checkout never trains silently."""
    records: list[dict] = []
    for name in TRAIN_FILES + DEV_FILES:
        path = Path(data_dir) / name
        if not path.exists():
            raise FileNotFoundError(f"labelled data not found: {path}")
        records.extend(load_jsonl(path))
    return records


def subsample(records: list[dict], per_source: int) -> list[dict]:
    """At most `per_source` rows of each source, picked by a hash independent of the split.

    For quick runs and tests (`triage train --limit`); the shipped model trains on everything.
    """
    def key(r: dict) -> bytes:
        return hashlib.sha1(f"{LIMIT_SALT}:{r['id']}".encode()).digest()

    kept: list[dict] = []
    for dataset in dict.fromkeys(r["dataset"] for r in records):
        rows = sorted((r for r in records if r["dataset"] == dataset), key=key)
        kept.extend(rows[:per_source])
    return kept


def load_corrections(path: Path) -> list[dict]:
    """Managers' corrections in the record format; their dataset is forced to 'corrections'."""
    from triage.core.scoring import INTENTS, SENTIMENTS, URGENCIES

    allowed = {"urgency": URGENCIES, "intent": INTENTS, "sentiment": SENTIMENTS}
    rows = load_jsonl(path)
    for i, row in enumerate(rows):
        if not row.get("text") or not row.get("id"):
            raise ValueError(f"{path}:{i + 1}: a correction needs 'id' and 'text'")
        for field, labels in allowed.items():
            if row.get(field) is not None and row[field] not in labels:
                raise ValueError(f"{path}:{i + 1}: {field} {row[field]!r} is not one of {labels}")
        row["dataset"] = CORRECTIONS
    return rows


def labelled(records: Iterable[dict], field: str) -> list[dict]:
    """Rows with a label for `field` (null is 'no label', never a class)."""
    return [r for r in records if r.get(field) is not None]
