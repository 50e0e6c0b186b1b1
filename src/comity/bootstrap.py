"""The composition root: the one place where settings become concrete adapters.

Entry points (CLI, API, web) ask for a ``Comity`` built from a deployment directory; tests build
one on a temporary directory. Adapters are created lazily so a command pays only for what it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from comity.adapters.clock import SystemClock
from comity.adapters.config.deployment_file import FILE_NAME, load_deployment, local_path
from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.intake_repo import (
    SqlIntakeUnitOfWork,
    intake_uow_factory,
    make_read_engine,
)
from comity.adapters.controlplane.migrate import upgrade
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork, uow_factory
from comity.adapters.demo import DEMO_TOML, populate_demo
from comity.domain.deployment import Deployment
from comity.errors import Conflict
from comity.services.ports import Clock


@dataclass
class Comity:
    """Everything a running deployment needs, wired once."""

    home: Path
    deployment: Deployment
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        assert self.deployment.control_plane is not None
        return make_engine(self.deployment.control_plane)

    @cached_property
    def uow(self) -> Callable[[], SqlUnitOfWork]:
        return uow_factory(self.engine, self.clock.now)

    def migrate(self) -> None:
        upgrade(self.engine)

    def prepare_regions(self) -> list[str]:
        """Create each region's store and key if missing; return what was made.

        The custody layer (regional stores and keyrings) extends this; the control plane alone
        needs only the directories that relative store and key URLs point into.
        """
        lines: list[str] = []
        for region in self.deployment.regions:
            for url in (region.store, region.keyring):
                path = local_path(url) if url else None
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
            lines.append(f"region {region.id} ({region.country}): {region.store}")
        return lines

    @cached_property
    def intake_uow(self) -> Callable[[], SqlIntakeUnitOfWork]:
        """Units of work that also carry the intake repository (registry, users, demands)."""
        return intake_uow_factory(self.engine, self.clock.now)

    @cached_property
    def intake_reader(self) -> Callable[[], SqlIntakeUnitOfWork]:
        """Read-only units of work for the API's reads (never committed; no write lock)."""
        assert self.deployment.control_plane is not None
        return intake_uow_factory(make_read_engine(self.deployment.control_plane), self.clock.now)


def open_deployment(home: Path, clock: Clock | None = None) -> Comity:
    """Load ``home/comity.toml`` and wire its adapters."""
    deployment = load_deployment(home / FILE_NAME if home.is_dir() else home)
    root = home if home.is_dir() else home.parent
    return Comity(root.resolve(), deployment, clock or SystemClock())


DEFAULT_TOML = """\
# Comity deployment (contract section 1). Stores and keys are relative to this file.
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE", "GB", "AU"]

[control_plane]
database = "sqlite:///control.db"

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"
"""


def initialise(home: Path, *, demo: bool, force: bool = False) -> list[str]:
    """Create a deployment in ``home``; return what was made, one line each, for the user."""
    home.mkdir(parents=True, exist_ok=True)
    toml_path = home / FILE_NAME
    if toml_path.exists() and not force:
        raise Conflict(f"{toml_path} already exists; use --force to overwrite it")
    toml_path.write_text(DEMO_TOML if demo else DEFAULT_TOML, encoding="utf-8")
    comity = open_deployment(home)
    comity.migrate()
    lines = [f"deployment: {toml_path}", f"control plane: {comity.deployment.control_plane}"]
    lines += comity.prepare_regions()
    if demo:
        lines += populate_demo(comity.uow, comity.clock)
    return lines
