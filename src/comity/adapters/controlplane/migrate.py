"""Bring a control-plane database to the newest schema with Alembic, from code or the CLI.

Alembic is imported only when a migration runs: it pulls in Mako and Pygments, about a second
of start-up that every other CLI command would otherwise pay.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 (deferred: see the module docstring)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (all heads, so independent branches can coexist)."""
    from alembic import command  # noqa: PLC0415 (deferred: see the module docstring)

    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
