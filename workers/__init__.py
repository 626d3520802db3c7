"""RQ entry points: thin job functions taking ids, and the worker process that runs them."""
