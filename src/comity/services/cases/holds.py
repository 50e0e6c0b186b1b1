"""Holds, notices and court events on a case, with holds carried out by the regions' agents.

A hold is decided here (the case) and carried out by the held account's region through its agent
(ADR 0014): the control plane signs a ``HoldInstruction`` and the agent, which alone holds the
region's sources' credentials and its store, takes the snapshot, writes the ``HoldMarker`` (the
store then refuses to delete those records and a user's deletion only hides them) and holds in
place where a source can; it answers with what it did, which goes on the audit log in the case's
transaction. The case and the marker live in different places, so the order is chosen to fail
safe: an instruction that adds preservation (placed, extended, confirmed) is carried out before
the case commits, and a region that cannot carry it out (agent down, wrong certificate, a source
that cannot be read) leaves the case unchanged; one that ends it (released, or every hold when a
case closes) after. A crash between the two leaves the region preserving more, never less;
``sync_holds`` rewrites every marker from the cases.

Where a source holds in place too (Dovecot's hidden hold mailbox), a refusal there leaves the
hold as Comity decided it, standing on its snapshot, and the caller gets one
``HoldInPlaceFailed`` sentence saying so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from comity.domain import permissions
from comity.domain.categories import Category
from comity.domain.court_events import parse_court_event
from comity.domain.hold_instruction import HoldAction, HoldInstruction
from comity.domain.registry import User
from comity.domain.workflow import (
    Actor,
    Case,
    HoldBasis,
    PreservationHold,
    Step,
    record_court_event,
)
from comity.errors import ComityError, InvalidInput, NotFound
from comity.services.cases.access import CaseUowFactory, act, act_in, load_case
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.custody.hold_ports import RegionHolds
from comity.services.custody.in_place import HoldInPlaceFailed
from comity.services.ports import Clock

#: A region's holds, by region id: its agent, in process or over mutual TLS.
Regions = Callable[[str], RegionHolds]

#: Who signs instructions, for the ``issuer`` field (the key id is in the signature).
ISSUER = "control-plane"


def instruction(
    hold: PreservationHold,
    action: HoldAction,
    now: datetime,
    uow: CaseUnitOfWork | None = None,
) -> HoldInstruction:
    """The instruction that brings ``hold``'s region to the case's view of it, issued ``now``;
    with ``uow`` it names the account's selectors (a source logs in or queries by them)."""
    held = uow.accounts.get(hold.account) if uow is not None else None
    return HoldInstruction(
        id=new_instruction_id(),
        action=action,
        hold_id=hold.hold_id,
        case_id=hold.case_id,
        account_id=hold.account,
        selectors=held.selectors if held is not None else (),
        categories=hold.categories,
        region=hold.region,
        placed_at=hold.placed_at,
        expires_at=hold.expires_at,
        released_at=hold.released_at,
        issued_at=now,
        issuer=ISSUER,
    )


def act_with_holds(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    user: User,
    case_id: str,
    *,
    step: Callable[[Case, Actor, datetime], Step],
) -> Case:
    """Apply ``step`` like ``case_access.act`` and have the regions' agents carry out the holds
    it changed: a new hold is placed (snapshot, marker, in place) and a changed one re-marked
    before the case commits, what each agent reports audited in its transaction; a released
    hold is released at its region after the case commits."""
    refused: list[str] = []
    with uow_factory() as uow:
        now = uow.now  # the unit's one clock reading, for the case and its audit entries
        held = load_case(uow, user, case_id, for_update=True).holds
        before = {h.hold_id: h for h in held}
        case = act_in(uow, user, case_id, now, step)
        changed = [h for h in case.holds if before.get(h.hold_id) != h]
        released = []
        for hold in changed:
            if hold.released_at is not None:
                was = before.get(hold.hold_id)
                action = HoldAction.MARK if was and was.released_at else HoldAction.RELEASE
                released.append(instruction(hold, action, now, uow))
                continue
            action = HoldAction.MARK if hold.hold_id in before else HoldAction.PLACE
            outcome = regions(hold.region).apply(instruction(hold, action, now, uow))
            outcome.audit(uow.audit, now=now, actor=user.id)
            refused += [
                f"hold {hold.hold_id} is placed and its snapshot in Comity's store preserves "
                f"the records, but {reason}"
                for reason in outcome.refusals
            ]
        uow.commit()
    _release_in_regions(uow_factory, clock, regions, user, released)
    if refused:
        raise HoldInPlaceFailed("; ".join(refused), problems=refused)
    return case


def _release_in_regions(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    user: User,
    released: list[HoldInstruction],
) -> None:
    """Tell each region that a hold ended, after the release committed (ending preservation
    comes last): the instruction issued now, each agent's answer (the server-side copies
    dropped) audited in a transaction of its own. A region that cannot be told keeps preserving,
    and the caller hears how to bring it along."""
    unreached: list[str] = []
    refused: list[str] = []
    for ended in released:
        fresh = replace(ended, id=new_instruction_id(), issued_at=clock.now())
        try:
            outcome = regions(ended.region).apply(fresh)
        except ComityError as exc:
            unreached.append(
                f"hold {ended.hold_id} is released in the case, but region {ended.region} keeps "
                f"preserving until told: {exc.message}; run 'comity case hold sync' when it "
                "can be reached"
            )
            continue
        if outcome.in_place:
            with uow_factory() as uow:
                outcome.audit(uow.audit, now=uow.now, actor=user.id)
                uow.commit()
        refused += [f"hold {ended.hold_id} is released, but {r}" for r in outcome.refusals]
    problems = unreached + refused
    if problems:
        by_hand = "; delete the hold mailbox on the server by hand" if refused else ""
        raise HoldInPlaceFailed("; ".join(problems) + by_hand, problems=problems)


def new_instruction_id() -> str:
    return "hin-" + uuid.uuid4().hex[:16]


def place_hold(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    account: str,
    categories: tuple[Category, ...],
    region: str,
    basis: str,
) -> Case:
    """Freeze ``account``'s ``categories`` in ``region`` for this case, on the legal ``basis``.

    The region's agent first copies the records in scope from its live sources (the provider's
    IMAP server, its records database) into the region's store (``services.custody.snapshots``),
    so a deletion at the source after the hold loses nothing; the copy's digests go on the audit
    log with the hold. A source that cannot be read refuses the hold with the reason, and so does
    an agent that cannot be reached: a hold that claims to preserve what it could not copy would
    mislead.
    """
    try:
        hold_basis = HoldBasis(basis)
    except ValueError:
        known = ", ".join(b.value for b in HoldBasis)
        raise InvalidInput(f"basis: expected one of {known}, got {basis!r}") from None
    regions(region)  # an unknown region is a 404 before anything is written
    with uow_factory() as uow:
        held = uow.accounts.get(account)
    if held is None:
        # The document is well formed; what it names is not stored (404, like an unknown
        # region or agency), so the published schema can allow every id a client may send.
        raise NotFound(f"account: no account with id {account!r} to preserve")
    elsewhere = [
        f"{c.value} in {held.region_for(c)}" for c in categories if held.region_for(c) != region
    ]
    if elsewhere:
        raise InvalidInput(
            f"region: account {account} keeps {', '.join(elsewhere)}, not in {region}; "
            "place the hold where the data is"
        )
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, now: c.place_hold(
            a, now, account=account, categories=categories, region=region, basis=hold_basis
        ),
    )


def extend_hold(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    hold_id: str,
) -> Case:
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: c.extend_hold(hold_id, a, t),
    )


def confirm_hold(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    hold_id: str,
) -> Case:
    """EPOC-PR: the issuer confirmed a follow-up production request; keep as long as needed."""
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: c.confirm_hold_follow_up(hold_id, a, t),
    )


def release_hold(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    hold_id: str,
    reason: str,
) -> Case:
    """End a hold; where a source held in place, its server-side copy is removed too."""
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: c.release_hold(hold_id, a, t, reason),
    )


def close(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    reason: str,
) -> Case:
    """Close with a written outcome; the case's holds are released, in the regions too."""
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: c.close(a, t, reason),
    )


def record_court(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    event: dict[str, Any],
) -> Case:
    """Record a court event (``kind`` and its fields; ``at`` defaults to now).

    A judgment vacated as moot may close the case; its holds are then released in the regions.
    """
    parsed = parse_court_event(event, now=clock.now())
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: record_court_event(c, parsed, a, t),
    )


def sync_holds(
    uow_factory: CaseUowFactory, clock: Clock, regions: Regions, actor: User
) -> list[str]:
    """Rewrite every case's hold markers into their regions through their agents (after a
    crash); say what was done, one line per hold."""
    permissions.check(actor, permissions.Action.HANDLE_DEMAND)
    with uow_factory() as uow:
        every = [h for case in uow.cases.list() for h in case.holds]
    for hold in every:
        regions(hold.region).apply(instruction(hold, HoldAction.MARK, clock.now()))
    return [f"{h.hold_id}: {h.region} ({'released' if h.released_at else 'held'})" for h in every]


# --- notice ----------------------------------------------------------------------------------


def set_non_disclosure(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    case_id: str,
    *,
    until: date | None,
    indefinite: bool = False,
) -> Case:
    """A non-disclosure order (18 U.S.C. 2705(b)) until a day, or indefinite; a past day ends it."""
    return act(
        uow_factory,
        clock,
        actor,
        case_id,
        lambda c, a, t: c.set_non_disclosure(a, t, until=until, indefinite=indefinite),
    )


def delay_notice(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    case_id: str,
    *,
    start: datetime,
    periods: int,
) -> Case:
    """Delayed notice under 18 U.S.C. 2705(a): ``periods`` of 90 days from ``start``."""
    return act(
        uow_factory,
        clock,
        actor,
        case_id,
        lambda c, a, t: c.delay_notice(a, t, start=start, periods=periods),
    )


def set_customer(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, customer: str
) -> Case:
    if not customer.strip():
        raise InvalidInput("customer: name the enterprise customer to tell")
    return act(
        uow_factory, clock, actor, case_id, lambda c, a, t: c.set_customer(a, t, customer.strip())
    )


def give_notice(uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str) -> Case:
    return act(uow_factory, clock, actor, case_id, lambda c, a, t: c.give_notice(a, t))
