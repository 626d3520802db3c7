"""The `triage` command: thin edges that parse arguments, call a service and print the result."""
