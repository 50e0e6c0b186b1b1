"""Issue 12: who may start a production has one answer, the permission table's.

Before, the case workflow let an approver start a production and the production service refused
anyone but an administrator; an approver's ``produce`` failed with "administrator".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.production_support import approve, build, staff, submit

from comity.domain.workflow import CaseState
from comity.errors import Forbidden


def test_an_approver_produces_and_a_reviewer_or_auditor_may_not(tmp_path: Path) -> None:
    pw = build(tmp_path / "dep")
    demand_id = submit(pw)
    approve(pw, demand_id)
    for user_id in ("rev", "aud"):
        with pytest.raises(Forbidden, match="administrator, approver"):
            pw.comity.productions.produce(staff(pw, user_id), demand_id)
    production = pw.comity.productions.produce(staff(pw, "appr"), demand_id)
    assert production.status == "published"
    with pw.comity.production_uow() as uow:
        case = uow.cases.for_demand(demand_id)
    assert case is not None
    assert case.state is CaseState.DELIVERED
