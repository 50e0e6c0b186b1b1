"""Alembic environment: migrations run on the connection that ``migrate.upgrade`` hands in."""

from __future__ import annotations

from alembic import context

from comity.adapters.controlplane.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through the plain alembic CLI
    raise RuntimeError("run migrations through comity (comity.adapters.controlplane.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
