"""The demo's answer to the 2013 warrant, as the legal team gives it in the console.

Rita reviews: the subscriber and traffic records held in the US are produced, the mail stored
only in Dublin is withheld (the US must ask Ireland). Alan approves (four eyes). Then, before
anything is disclosed, Alan tells the user: user notice is owed before disclosure, at the
approval (practice.md, Google: "user notice before disclosure unless prohibited"; the warrant's
non-disclosure order ran until 4 December 2014, so nothing forbids it now). Every step goes
through the services the console calls, so each is on the audit log, and a demo that then
produces the case has nothing overdue: a first-time user sees a case handled as the law asks,
not a missed notice.
"""

from __future__ import annotations

from comity.domain.registry import User
from comity.domain.workflow import Case
from comity.errors import NotFound
from comity.services.cases import actions as cases
from comity.services.cases import holds as case_holds
from comity.services.cases.access import CaseUowFactory
from comity.services.ports import Clock

WITHHELD_BECAUSE = "Stored only in Dublin: the US must ask Ireland."


def answer_the_warrant(uow_factory: CaseUowFactory, clock: Clock, demand_id: str) -> Case:
    """Review, decide, recommend, approve and give the user notice on the warrant's case (opened
    by ``comity init --demo``); return the approved case, ready to produce."""
    with uow_factory() as uow:
        rita, alan = (_person(uow.intake.get_user(u), u) for u in ("rita", "alan"))
        case = uow.cases.for_demand(demand_id)
    if case is None:
        raise NotFound(f"demand {demand_id} has no case: run 'comity case open {demand_id}'")
    cases.start_review(uow_factory, clock, rita, case.case_id)
    for finding in case.findings:
        content = finding.category.value == "content"
        cases.decide(
            uow_factory,
            clock,
            rita,
            case.case_id,
            finding=finding.key,
            decision="withhold" if content else "produce",
            justification=WITHHELD_BECAUSE if content else None,
        )
    cases.recommend(uow_factory, clock, rita, case.case_id, "Produce the US records.")
    cases.approve(uow_factory, clock, alan, case.case_id)
    return case_holds.give_notice(uow_factory, clock, alan, case.case_id)


def _person(user: User | None, user_id: str) -> User:
    if user is None:
        raise NotFound(f"user {user_id}: not a demo person (was this deployment made by --demo?)")
    return user
