"""A replay's storm: its own mix of urgency, language and channel, and near-duplicates that the live
grouping code (`scoring/storm_groups.py`) folds into one incident item, as it does in production."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.errors import SchedulingError
from triage.scoring.classifier.text import normalize, text_key
from triage.scoring.storm_groups import STORM_MIN, StormGroups

# What a storm's copies say; each copy adds its own mention, link and capitals, which the live
# normalisation strips, so copies of one text share one key.
STORM_TEXTS = ("The app is down again and I can't log in", "I was charged twice for the same order",
               "Nothing loads on your site since this evening", "My delivery tracking page shows an error")


class InvalidScenario(SchedulingError):
    """A scenario field is out of range; the message names it."""


@dataclass(frozen=True)
class StormMix:
    """What a storm is made of; an empty mix means the same as ordinary traffic."""

    urgency: Mapping[str, float] = field(default_factory=dict)
    languages: Mapping[str, float] = field(default_factory=dict)
    channels: Mapping[str, float] = field(default_factory=dict)
    duplicate_share: float = 0.0  # of the storm's extra messages, this share repeat one of `texts` texts
    texts: int = 1


def storm_mix_from_dict(raw: Mapping[str, Any] | None) -> StormMix:
    """Validate `traffic.storm`: shares in [0, 1], known urgencies, 1-4 texts."""
    raw = dict(raw or {})
    unknown = set(raw) - {"urgency", "languages", "channels", "duplicate_share", "texts"}
    if unknown:
        raise InvalidScenario(f"traffic.storm: unknown field(s) {', '.join(sorted(unknown))}")
    share = float(raw.get("duplicate_share", 0.0))
    if not 0.0 <= share <= 1.0:
        raise InvalidScenario(f"traffic.storm.duplicate_share must be within 0-1, got {share}")
    texts = int(raw.get("texts", 1))
    if not 1 <= texts <= len(STORM_TEXTS):
        raise InvalidScenario(f"traffic.storm.texts must be 1-{len(STORM_TEXTS)}, got {texts}")
    for key in ("urgency", "languages", "channels"):
        mix = raw.get(key) or {}
        if any(float(v) < 0 for v in mix.values()) or (mix and sum(map(float, mix.values())) <= 0):
            raise InvalidScenario(f"traffic.storm.{key}: shares must be >= 0 and not all 0")
    bad = set(raw.get("urgency") or {}) - set(URGENCIES)
    if bad:
        raise InvalidScenario(f"traffic.storm.urgency: unknown urgency {sorted(bad)[0]!r}")
    return StormMix({k: float(v) for k, v in (raw.get("urgency") or {}).items()},
                    {k: float(v) for k, v in (raw.get("languages") or {}).items()},
                    {k: float(v) for k, v in (raw.get("channels") or {}).items()}, share, texts)


def _pick(rng: np.random.Generator, mix: Mapping[str, float], n: int) -> list[str]:
    names, p = list(mix), np.asarray(list(mix.values()), float)
    return [names[i] for i in rng.choice(len(names), n, p=p / p.sum()).tolist()]


def storm_extras(*, mix: StormMix, base: Mapping[str, Mapping[str, float]], times: Sequence[datetime],
                 seed: int) -> list[dict[str, Any]]:
    """The storm's extra messages at `times`: urgency, language, channel and text (copies only)."""
    rng = np.random.default_rng(seed + 2_000_003)  # its own stream: a storm changes nothing else
    n = len(times)
    urg = _pick(rng, mix.urgency or base["urgency"], n)
    langs = _pick(rng, mix.languages or base["languages"], n)
    channels = mix.channels or base["channels"]
    chans = _pick(rng, channels, n) if channels else [""] * n
    copy = rng.random(n) < mix.duplicate_share
    which = rng.integers(0, mix.texts, n).tolist()
    tags = rng.integers(0, 1 << 30, n).tolist()
    out = []
    for k in range(n):
        text = ""
        if copy[k]:
            words = STORM_TEXTS[which[k]]
            text = (f"@user{tags[k] % 9973} {words.upper() if tags[k] % 3 == 0 else words}!!"
                    f" https://t.co/{tags[k]:x}")
        out.append({"urgency": urg[k], "language": langs[k], "channel": chans[k], "text": text})
    return out


def group_storms(items: Sequence, *, window: timedelta | None = None) -> list:
    """Arrivals with text go through the live grouping; a copy's `incident` names its group's first item.

    As in the inbox, a group folds into one item only from STORM_MIN copies (judged on its final count).
    """
    groups = StormGroups(**({"window": window} if window else {}))
    leaders: dict[Any, str] = {}
    out = []
    for a in items:
        if not a.text:
            out.append(a)
            continue
        g = groups.join(message=a.id, at=a.at, key=text_key(normalize(a.text)), vector=None)
        leaders.setdefault(g, a.id)
        out.append(replace(a, incident=leaders[g]))
    singles = {leaders[g] for g in groups.groups if g.count < STORM_MIN}  # not a storm: items of their own
    return [replace(a, incident=None) if a.incident in singles else a for a in out]
