"""Hot reload: a running worker notices a newly promoted model and swaps its heads in.

`triage train` writes a version directory and only then replaces models/CURRENT (atomically), so a
worker that sees CURRENT change can load the new heads at once. MiniLM itself never changes
between versions (the embedder id is checked), so the embedding cache stays valid.

Under `triage worker --fork` each work-horse is a copy of the parent, so the swap happens in every
job's child (a ~420 KB load per job) until the worker restarts; the default in-process worker
swaps once.
"""

from __future__ import annotations

import logging
from pathlib import Path

from triage.scoring.classifier.errors import ModelLoadError
from triage.scoring.classifier.heads import Heads, current_version, load_heads

log = logging.getLogger(__name__)


class PromotedWatch:
    """One stat() of models/CURRENT per batch; a read and a load only when it changed."""

    def __init__(self, models_dir: Path, version: str, *, embedder_id: str,
                 embed_dim: int) -> None:
        self.models_dir = Path(models_dir)
        self.version = version
        self.embedder_id = embedder_id
        self.embed_dim = embed_dim
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = (self.models_dir / "CURRENT").stat()
        except OSError:
            return None
        # promote() replaces the file, so the inode changes even within one mtime tick
        return st.st_mtime_ns, st.st_ino, st.st_size

    def poll(self) -> Heads | None:
        """The newly promoted heads, or None when nothing changed or the new model is refused."""
        stamp = self._stat()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            version = current_version(self.models_dir)
            if version == self.version:
                return None
            heads = load_heads(self.models_dir, version, embedder_id=self.embedder_id,
                               embed_dim=self.embed_dim)
        except (ModelLoadError, OSError) as exc:  # a bad promotion never stops scoring
            log.error("promoted model not loaded, still scoring with %s: %s", self.version, exc)
            return None
        log.warning("model %s promoted: scoring with it from now on (was %s)", version,
                    self.version)
        self.version = version
        return heads
