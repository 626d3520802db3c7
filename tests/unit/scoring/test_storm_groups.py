from datetime import UTC, datetime, timedelta

import numpy as np

from triage.scoring.classifier.text import normalize, text_key
from triage.scoring.storm_groups import Group, StormGroups

T = datetime(2026, 3, 2, 18, tzinfo=UTC)


def _key(text):
    return text_key(normalize(text))


def test_copies_differing_in_mentions_links_and_case_join_one_group():
    groups = StormGroups()
    texts = ["@ana The app is DOWN https://t.co/x1", "@bo the app is down https://t.co/y2",
             "@cy the app is down"]
    joined = [groups.join(message=n, at=T + timedelta(minutes=n), key=_key(t), vector=None)
              for n, t in enumerate(texts)]
    assert len({id(g) for g in joined}) == 1
    assert joined[0].count == 3 and joined[0].members == [0, 1, 2] and joined[0].leader == 0


def test_a_copy_after_the_window_opens_a_new_group_which_later_copies_join():
    groups = StormGroups(window=timedelta(minutes=10))
    first = groups.join(message=1, at=T, key="k", vector=None)
    late = groups.join(message=2, at=T + timedelta(minutes=30), key="k", vector=None)
    later = groups.join(message=3, at=T + timedelta(minutes=31), key="k", vector=None)
    assert late is not first and later is late and late.new


def test_vectors_above_the_threshold_join_an_existing_group_and_other_sizes_never_match():
    known = Group(7, "old", np.array([1.0, 0.0], dtype=np.float32), T, T)
    groups = StormGroups([known], dim=2, threshold=0.9)
    near = groups.join(message=1, at=T, key="a", vector=np.array([0.99, 0.05]))
    far = groups.join(message=2, at=T, key="b", vector=np.array([0.0, 1.0]))
    assert near is known and not near.new and far is not known
    odd = StormGroups([Group(8, "x", np.ones(3, dtype=np.float32), T, T)], dim=2)
    assert odd.join(message=3, at=T, key="y", vector=np.array([1.0, 1.0])).new
