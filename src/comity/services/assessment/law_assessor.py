"""Assessing a demand against the deployment's accounts: the library call behind ``comity assess``
and the law engine behind intake's ``Assessor`` port.

The date the law is taken at defaults to the day the demand was received (in UTC), because that is
when the provider's obligations arose; a later ``as_of`` shows how the same demand fares today.

The accounts a demand names are looked up first, in one unit of work, and the engine gets them as
data: the law engine never calls back into the services or the database while it decides
(issue 12, "one law boundary"), so an assessment is a pure function of the demand, the accounts,
the deployment and the date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date

from comity.domain.accounts import Account, Selector
from comity.domain.assessment import Assessment
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.law.engine import LawEngine
from comity.services.ports import UnitOfWork


def default_as_of(demand: Demand) -> date:
    return demand.received_at.astimezone(UTC).date()


def accounts_named(
    uow_factory: Callable[[], UnitOfWork], demand: Demand
) -> dict[Selector, Account]:
    """The accounts ``demand``'s targets name, read in one unit of work before the law runs."""
    with uow_factory() as uow:
        found = {t.selector: uow.accounts.find_by_selector(t.selector) for t in demand.targets}
    return {selector: account for selector, account in found.items() if account is not None}


def assess_demand(
    engine: LawEngine,
    deployment: Deployment,
    uow_factory: Callable[[], UnitOfWork],
    demand: Demand,
    as_of: date | None = None,
) -> Assessment:
    """Assess ``demand`` with the accounts it names, as stored in the control plane."""
    accounts = accounts_named(uow_factory, demand)
    return engine.assess(demand, deployment, accounts, as_of or default_as_of(demand))


@dataclass(frozen=True)
class LawAssessor:
    """The law engine behind intake's ``Assessor`` port: stored demands are assessed by it."""

    engine: LawEngine
    deployment: Deployment
    uow_factory: Callable[[], UnitOfWork]

    def assess(self, demand: Demand, as_of: date) -> Assessment:
        return assess_demand(self.engine, self.deployment, self.uow_factory, demand, as_of)
