"""Learned scoring: embeddings + calibrated heads. Heavy libraries are imported lazily inside.

Importing this package stays cheap (no torch, no scikit-learn) so the API process can name
`ModelLoadError` and the wiring without paying for the model.
"""

from triage.scoring.classifier.errors import ModelLoadError

__all__ = ["ModelLoadError"]
