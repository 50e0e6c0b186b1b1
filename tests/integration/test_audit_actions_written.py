"""Every action a deployment writes is on the closed list (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

from comity.bootstrap import initialise, open_deployment
from comity.domain.audit import AuditAction


def test_the_demo_writes_only_listed_actions_and_its_log_reads_back(tmp_path: Path) -> None:
    initialise(tmp_path, demo=True)
    comity = open_deployment(tmp_path)
    with comity.reader() as uow:
        actions = {json.loads(uow.audit.entry(i).entry)["action"] for i in range(uow.audit.size())}
    assert len(actions) > 5
    assert actions <= {a.value for a in AuditAction}
