"""Errors the platform catches to fall back to the rule scorer."""


class ModelLoadError(RuntimeError):
    """The model artifact is missing, corrupt or from another format or embedder: use rules."""
