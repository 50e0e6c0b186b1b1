"""Shared CLI plumbing: where the deployment lives and how errors reach the user."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from comity.bootstrap import Comity, open_deployment

HOME_ENV = "COMITY_HOME"


def deployment_dir(ctx: typer.Context) -> Path:
    """The deployment directory: ``--dir``, else ``$COMITY_HOME``, else the current directory."""
    given = ctx.obj.get("dir") if isinstance(ctx.obj, dict) else None
    return Path(given or os.environ.get(HOME_ENV) or ".")


def open_comity(ctx: typer.Context) -> Comity:
    return open_deployment(deployment_dir(ctx))
