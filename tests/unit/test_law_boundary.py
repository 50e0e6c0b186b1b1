"""One law boundary (issue 12, item 5): the assessor answers with the typed ``Assessment``, and the
law engine decides on data, never calling back into the services or the database.

Before, ``LawAssessor.assess`` returned a dict, and the engine looked each target up through a
callback that opened a unit of work per selector in the middle of its run.
"""

from __future__ import annotations

from datetime import date
from types import TracebackType

import pytest
from tests.unit.test_law_engine import ACCOUNT, DEPLOYMENT, MSN, warrant

from comity.domain.accounts import Account, Selector
from comity.domain.assessment import Assessment, Pathway
from comity.law.engine import LawEngine
from comity.services.assessment.law_assessor import LawAssessor


class _Accounts:
    def __init__(self, log: list[str]) -> None:
        self._log = log

    def find_by_selector(self, selector: Selector) -> Account | None:
        self._log.append(f"find {selector.value}")
        return ACCOUNT if selector == MSN else None


class _CountingUow:
    """A unit of work over one known account that notes when it is opened and what it reads."""

    def __init__(self, log: list[str]) -> None:
        self._log = log
        self.accounts = _Accounts(log)

    def __enter__(self) -> _CountingUow:
        self._log.append("open")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._log.append("close")


@pytest.fixture(scope="module")
def engine() -> LawEngine:
    return LawEngine.load()


def test_the_assessor_answers_with_the_typed_assessment(engine: LawEngine) -> None:
    log: list[str] = []
    assessor = LawAssessor(engine, DEPLOYMENT, lambda: _CountingUow(log))  # type: ignore[arg-type, return-value]
    answer = assessor.assess(warrant(), date(2016, 7, 14))
    assert isinstance(answer, Assessment)
    assert answer.rule_pack.digest.startswith("sha256:")
    ghost = [f for f in answer.findings if f.target.value == "ghost@msn.example"]
    assert {f.pathway for f in ghost} == {Pathway.NO_DATA}


def test_the_accounts_are_read_once_before_the_engine_runs(
    engine: LawEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[str] = []
    real_assess = engine.assess

    def watched(*args: object, **kwargs: object) -> Assessment:
        log.append("engine starts")
        answer = real_assess(*args, **kwargs)  # type: ignore[arg-type]
        log.append("engine ends")
        return answer

    monkeypatch.setattr(engine, "assess", watched)
    assessor = LawAssessor(engine, DEPLOYMENT, lambda: _CountingUow(log))  # type: ignore[arg-type, return-value]
    assessor.assess(warrant(), date(2016, 7, 14))
    # One unit of work reads both targets, and it is closed before the engine starts: nothing
    # reaches the services or the database while the law decides.
    assert log == [
        "open",
        "find target@msn.example",
        "find ghost@msn.example",
        "close",
        "engine starts",
        "engine ends",
    ]
