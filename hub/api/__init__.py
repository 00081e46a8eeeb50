"""The hub's JSON API (FastAPI; OpenAPI at /docs): partners post and pull messages, people
read their cases. ``hub.app.create_app`` mounts its routers beside the pages'."""
