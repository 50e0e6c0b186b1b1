"""The region's side of a hold (ADR 0014): the agent carries out only an instruction it can verify
on its own (the control plane's signature, its region, its minutes), never one that would
shorten or revive a hold it keeps; and the control plane's side: a release the region cannot be
told of says so in one sentence and leaves the region preserving until ``sync_holds``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.case_support import T0, build, file_warrant, law, user
from tests.conftest import FixedClock
from tests.hold_support import place_instruction

from comity.adapters.signing.ed25519 import SigningKey
from comity.adapters.signing.hold_instructions import sign_hold_instruction
from comity.bootstrap import Comity
from comity.domain.categories import Category
from comity.domain.hold_instruction import VALIDITY, HoldAction, HoldInstruction
from comity.domain.workflow import Case
from comity.errors import ConfigurationError, Conflict, IntegrityError
from comity.services.cases import actions as cases
from comity.services.cases import holds as case_holds
from comity.services.custody.hold_ports import HoldOutcome, RegionHolds
from comity.services.custody.in_place import HoldInPlaceFailed


@pytest.fixture
def comity(tmp_path: Path) -> Iterator[Comity]:
    c = build(tmp_path, FixedClock(T0))
    c.signing_keys()
    yield c
    c.engine.dispose()
    for region in c.deployment.region_ids:
        c.region_store(region).store.engine.dispose()


def _instruction(**changes: object) -> HoldInstruction:
    return place_instruction(T0, **changes)


def _markers(c: Comity) -> list[tuple[str, object, object]]:
    return [(m.hold_id, m.expires_at, m.released_at) for m in c.region_store("eu-ie").store.holds()]


def test_the_agent_refuses_what_it_cannot_verify_and_writes_nothing(comity: Comity) -> None:
    keeper = comity.local_holds("eu-ie")
    key = comity.control_plane_key
    forged = sign_hold_instruction(_instruction(), SigningKey.generate())
    with pytest.raises(IntegrityError, match="not among the given keys"):
        keeper.hold(forged)
    with pytest.raises(IntegrityError, match="is for region us-west, not eu-ie"):
        keeper.hold(sign_hold_instruction(_instruction(region="us-west"), key))
    stale = _instruction(issued_at=T0 - VALIDITY)
    with pytest.raises(IntegrityError, match="it is not carried out"):
        keeper.hold(sign_hold_instruction(stale, key))
    assert _markers(comity) == []


def test_the_agent_lengthens_and_ends_a_hold_but_never_shortens_or_revives_it(
    comity: Comity,
) -> None:
    keeper = comity.local_holds("eu-ie")
    key = comity.control_plane_key
    placed = keeper.hold(sign_hold_instruction(_instruction(), key))
    assert placed == HoldOutcome("eu-ie", "case-1/hold-1")  # no live source: no snapshot
    later = T0 + timedelta(days=180)
    keeper.hold(sign_hold_instruction(_instruction(action=HoldAction.MARK, expires_at=later), key))
    assert _markers(comity) == [("case-1/hold-1", later, None)]

    replayed = sign_hold_instruction(_instruction(action=HoldAction.MARK), key)
    with pytest.raises(Conflict, match=r"is kept until .*; nothing was changed"):
        keeper.hold(replayed)
    other_case = _instruction(case_id="case-2", action=HoldAction.MARK, expires_at=later)
    with pytest.raises(Conflict, match="belongs to case case-1"):
        keeper.hold(sign_hold_instruction(other_case, key))
    ended = T0 + timedelta(days=1)
    release = _instruction(action=HoldAction.RELEASE, expires_at=later, released_at=ended)
    keeper.hold(sign_hold_instruction(release, key))
    with pytest.raises(Conflict, match="was released at"):
        keeper.hold(sign_hold_instruction(_instruction(expires_at=later), key))
    assert _markers(comity) == [("case-1/hold-1", later, ended)]


class _Unreachable:
    """The region's holds through an agent that can be taken down (a host lost)."""

    def __init__(self, inner: RegionHolds) -> None:
        self.inner = inner
        self.down = False

    @property
    def region_id(self) -> str:
        return self.inner.region_id

    def apply(self, instruction: HoldInstruction) -> HoldOutcome:
        if self.down:
            raise ConfigurationError(
                f"the agent of region {self.region_id} at https://eu-ie.example: it cannot be "
                "reached; nothing was held or released"
            )
        return self.inner.apply(instruction)


def test_an_agent_down_refuses_a_hold_and_a_release_it_misses_is_brought_by_sync(
    comity: Comity,
) -> None:
    region = _Unreachable(comity.region_holds("eu-ie"))

    def regions(region_id: str) -> RegionHolds:
        return region if region_id == "eu-ie" else comity.region_holds(region_id)

    u, clock = comity.intake_uow, comity.clock
    case_id = cases.ensure_case(u, clock, file_warrant(comity).id, law(comity)).case_id
    rev = user(comity, "rev")

    def place() -> Case:
        return case_holds.place_hold(
            u,
            clock,
            regions,
            rev,
            case_id,
            account="msn-1",
            categories=(Category.CONTENT,),
            region="eu-ie",
            basis="litigation",
        )

    region.down = True
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        place()
    with u() as uow:
        stored = uow.cases.get(case_id)
    assert stored is not None
    assert stored.holds == ()
    assert _markers(comity) == []

    region.down = False
    case = place()
    hold_id = case.holds[0].hold_id
    region.down = True
    with pytest.raises(HoldInPlaceFailed) as missed:
        case_holds.release_hold(u, clock, regions, rev, case_id, hold_id=hold_id, reason="done")
    assert missed.value.message.startswith(
        f"hold {hold_id} is released in the case, but region eu-ie keeps preserving until told"
    )
    assert "run 'comity case hold sync' when it can be reached" in missed.value.message
    assert _markers(comity)[0][2] is None  # the region still preserves: more, never less

    region.down = False
    lines = case_holds.sync_holds(u, clock, regions, user(comity, "admin"))
    assert lines == [f"{hold_id}: eu-ie (released)"]
    assert _markers(comity)[0][2] is not None
