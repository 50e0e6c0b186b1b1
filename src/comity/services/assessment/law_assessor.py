"""Assessing a demand against the deployment's accounts: the library call behind ``comity assess``.

The date the law is taken at defaults to the day the demand was received (in UTC), because that is
when the provider's obligations arose; a later ``as_of`` shows how the same demand fares today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from comity.domain.assessment import Assessment
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.law.engine import LawEngine
from comity.services.accounts import find_account
from comity.services.ports import UnitOfWork


def default_as_of(demand: Demand) -> date:
    return demand.received_at.astimezone(UTC).date()


def assess_demand(
    engine: LawEngine,
    deployment: Deployment,
    uow_factory: Callable[[], UnitOfWork],
    demand: Demand,
    as_of: date | None = None,
) -> Assessment:
    """Assess ``demand`` with accounts looked up in the control plane."""
    return engine.assess(
        demand,
        deployment,
        lambda selector: find_account(uow_factory, selector),
        as_of or default_as_of(demand),
    )


@dataclass(frozen=True)
class LawAssessor:
    """The law engine behind intake's ``Assessor`` port: stored demands are assessed by it."""

    engine: LawEngine
    deployment: Deployment
    uow_factory: Callable[[], UnitOfWork]

    def assess(self, demand: Demand, as_of: date) -> dict[str, Any]:
        return assess_demand(
            self.engine, self.deployment, self.uow_factory, demand, as_of
        ).to_document()
