"""Normalisation and the embedding caches: storms and re-runs must reach the model once."""

from __future__ import annotations

import numpy as np

from triage.scoring.classifier.embedder import CachedEmbedder, DiskCache, HashingEmbedder
from triage.scoring.classifier.text import has_words, normalize, scrub


def test_normalize_drops_urls_rt_prefix_and_handles_and_case():
    text = "RT @bob: My CARD   was stolen!! https://t.co/abc @Bank"
    assert normalize(text) == "my card was stolen!! @user"


def test_retweet_and_original_normalize_to_the_same_key():
    assert normalize("RT @a: Help us now http://x.y") == normalize("help   us NOW")


def test_scrub_replaces_lone_surrogates_and_nuls():
    cleaned = scrub("bad \udcff byte\x00 here")
    cleaned.encode("utf-8")  # would raise on a lone surrogate
    assert "\x00" not in cleaned and "byte" in cleaned


def test_has_words_is_false_for_emoji_links_and_handles_only():
    assert not has_words("")
    assert not has_words("😡😡 https://x.co/1 @brand")
    assert has_words("😡 refund now")


def test_cached_embedder_sends_each_distinct_normalized_text_once():
    inner = HashingEmbedder(dim=16)
    cached = CachedEmbedder(inner)
    storm = ["RT @x: Outage again! http://t.co/1"] * 50 + ["outage again!", "other text"]
    out = cached.embed(storm)
    assert out.shape == (52, 16)
    assert inner.calls == [2]  # one call, two distinct normalised texts
    assert np.allclose(out[0], out[50])
    cached.embed(["OUTAGE again!"])
    assert inner.calls == [2]  # served from the LRU
    assert cached.hits == 51 and cached.misses == 2


def test_lru_is_bounded_and_evicts_the_oldest():
    inner = HashingEmbedder(dim=8)
    cached = CachedEmbedder(inner, maxsize=2)
    cached.embed(["one"])
    cached.embed(["two"])
    cached.embed(["three"])
    cached.embed(["one"])
    assert inner.calls == [1, 1, 1, 1]  # "one" was evicted and embedded again
    cached.embed(["three"])
    assert inner.calls == [1, 1, 1, 1]


def test_empty_batch_returns_an_empty_matrix():
    assert CachedEmbedder(HashingEmbedder(dim=8)).embed([]).shape == (0, 8)


def test_disk_cache_survives_a_new_process(tmp_path):
    first = HashingEmbedder(dim=8)
    CachedEmbedder(first, disk=DiskCache(tmp_path, first.model_id)).embed(["alpha", "beta"])
    second = HashingEmbedder(dim=8)
    again = CachedEmbedder(second, disk=DiskCache(tmp_path, second.model_id))
    out = again.embed(["beta", "alpha", "gamma"])
    assert second.calls == [1]  # only "gamma" was new
    assert np.allclose(out[0], first.embed(["beta"])[0])


def test_disk_cache_ignores_a_truncated_shard(tmp_path):
    inner = HashingEmbedder(dim=8)
    disk = DiskCache(tmp_path, inner.model_id)
    CachedEmbedder(inner, disk=disk).embed(["alpha"])
    shard = next(disk.dir.glob("*.vecs.npy"))
    shard.write_bytes(shard.read_bytes()[:10])
    fresh = HashingEmbedder(dim=8)
    CachedEmbedder(fresh, disk=DiskCache(tmp_path, fresh.model_id)).embed(["alpha"])
    assert fresh.calls == [1]
