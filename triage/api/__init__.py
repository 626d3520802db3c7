"""HTTP edge: FastAPI app, one router per resource, server-rendered pages (Jinja2 + htmx)."""
