"""Channel connectors as plugins: verify, parse and poll; no web framework, queue or database here."""
