"""Use cases: ingest, score, route, inbox; they call the domain and the ports."""
