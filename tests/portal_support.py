"""Set-up for the portal's package tests: the demo warrant taken through review, four-eyes
approval and production, so the requester (``dea-agent``) has a real signed package to fetch."""

from __future__ import annotations

from comity.domain.authorization import PackageOptions
from comity.services.cases import actions as cases
from comity.services.productions.ports import Production
from tests.web_support import WebDeployment


def deliver_demo_warrant(web: WebDeployment, options: PackageOptions | None = None) -> Production:
    """Review (subscriber records produced, Dublin content withheld), approve, produce (with
    the deployment's package options unless ``options`` are given)."""
    comity = web.comity
    with comity.reader() as uow:
        rita, alan, ada = (uow.intake.get_user(u) for u in ("rita", "alan", "ada"))
        case = uow.cases.for_demand(web.warrant_id)  # `init --demo` opened it
    assert rita is not None
    assert alan is not None
    assert ada is not None
    assert case is not None
    cases.start_review(comity.intake_uow, comity.clock, rita, case.case_id)
    for finding in case.findings:
        kind = "withhold" if finding.category.value == "content" else "produce"
        cases.decide(
            comity.intake_uow,
            comity.clock,
            rita,
            case.case_id,
            finding=finding.key,
            decision=kind,
            justification="stored in Dublin" if kind == "withhold" else None,
        )
    cases.recommend(comity.intake_uow, comity.clock, rita, case.case_id)
    cases.approve(comity.intake_uow, comity.clock, alan, case.case_id)
    return comity.productions.produce(ada, web.warrant_id, options=options)
