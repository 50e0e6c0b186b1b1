"""The REST API (FastAPI); OpenAPI at /docs."""
