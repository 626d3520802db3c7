"""Community-manager triage: ingest every channel, rank by urgency and relationship, schedule sustainably."""

__version__ = "0.1.0"
