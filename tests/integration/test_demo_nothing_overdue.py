"""The demo deployment raises no false alarm: nothing on its due list is overdue.

As built by ``comity init --demo`` (``make demo``), and after the legal team answers the warrant
as the demo tells it (``comity.demo.answer``, which the screenshots script uses) and the case is
produced: user notice is owed before disclosure, so the demo records it, through the service the
console calls, on the audit log.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from comity.bootstrap import Comity, initialise, open_deployment
from comity.demo.answer import answer_the_warrant
from comity.domain.audit import AuditAction
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import CaseState
from comity.services.cases import due as case_due

AUDITOR = User("aud", "Auditor", "aud@provider.example", frozenset({StaffRole.AUDITOR}))
YEARS = timedelta(days=3650)


def _demo(home: Path) -> tuple[Comity, str]:
    lines = initialise(home, demo=True)
    found = next(re.search(r"as demand (dem-\w+)", line) for line in lines if "as demand" in line)
    assert found is not None
    return open_deployment(home), found[1]


def _due(comity: Comity) -> case_due.Due:
    return case_due.due(comity.intake_uow, comity.clock, AUDITOR, within=YEARS)


def _actions(comity: Comity) -> list[str]:
    with comity.reader() as uow:
        return [json.loads(uow.audit.entry(i).entry)["action"] for i in range(uow.audit.size())]


def test_the_demo_as_made_has_nothing_overdue(tmp_path: Path) -> None:
    comity, _ = _demo(tmp_path)
    due = _due(comity)
    assert due.overdue == []
    assert due.due_soon == []


def test_the_demo_answer_tells_the_user_before_the_production_and_leaves_nothing_overdue(
    tmp_path: Path,
) -> None:
    comity, warrant = _demo(tmp_path)
    case = answer_the_warrant(comity.intake_uow, comity.clock, warrant)
    assert case.state is CaseState.PARTLY_APPROVED
    assert case.notice.given_at is not None
    # The law asked for it: without the notice, the approved case owes it, overdue now.
    untold = case.model_copy(update={"notice": case.notice.model_copy(update={"given_at": None})})
    owed = [d for d in untold.deadlines() if d.kind == "user_notice"]
    assert len(owed) == 1
    assert owed[0].due_at <= comity.clock.now()

    with comity.intake_uow() as uow:
        ada = uow.intake.get_user("ada")
    assert ada is not None
    comity.productions.produce(ada, warrant)
    with comity.reader() as uow:
        produced = uow.cases.for_demand(warrant)
    assert produced is not None
    assert produced.produced
    assert _due(comity).overdue == []
    # On the record: approved, then the user told, then the production started.
    actions = _actions(comity)
    told = actions.index(AuditAction.CASE_NOTICE_GIVEN.value)
    assert actions.index(AuditAction.CASE_APPROVE.value) < told
    assert told < actions.index(AuditAction.PRODUCTION_STARTED.value)
