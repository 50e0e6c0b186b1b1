"""Holds, notices and court events on a case, with holds enforced in the regions.

A hold is written into the region store of the held account (through the region, not the
control plane) as a ``HoldMarker``; the store then refuses to delete those records and a user's
deletion only hides them. The case and the marker live in different databases, so the order is
chosen to fail safe: a marker that adds preservation (placed, extended, confirmed) is written
before the case commits; one that ends it (released, or every hold when a case closes) after.
A crash between the two leaves the region preserving more, never less; ``sync_holds`` rewrites
every marker from the cases.

Where a source holds in place too (``services.custody.in_place``: Dovecot's hidden hold mailbox),
placing a hold copies on the server inside the case's transaction (more preservation first) and
releasing it removes the copy after the release commits, each step on the audit log. A server
that refuses leaves the hold as Comity decided it, standing on its snapshot, and the caller gets
one ``HoldInPlaceFailed`` sentence saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from comity.domain import permissions
from comity.domain.categories import Category
from comity.domain.court_events import parse_court_event
from comity.domain.registry import User
from comity.domain.workflow import (
    Actor,
    Case,
    HoldBasis,
    PreservationHold,
    Step,
    record_court_event,
)
from comity.errors import InvalidInput, NotFound
from comity.services.cases.access import CaseUowFactory, act, act_in, load_case
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.custody.in_place import (
    HoldInPlaceFailed,
    hold_in_place,
    in_place_sources,
    release_in_place,
)
from comity.services.custody.ports import HoldMarker, RegionCustody
from comity.services.custody.snapshots import RegionSources, take_snapshot
from comity.services.custody.source_ports import AccountRef
from comity.services.ports import Clock

Regions = Callable[[str], RegionCustody]


def marker(hold: PreservationHold) -> HoldMarker:
    return HoldMarker(
        hold_id=hold.hold_id,
        case_id=hold.case_id,
        account_id=hold.account,
        categories=hold.categories,
        placed_at=hold.placed_at,
        expires_at=hold.expires_at,
        released_at=hold.released_at,
    )


def act_with_holds(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    user: User,
    case_id: str,
    *,
    step: Callable[[Case, Actor, datetime], Step],
    on_placed: Callable[[CaseUnitOfWork, PreservationHold], None] | None = None,
    sources: RegionSources | None = None,
) -> Case:
    """Apply ``step`` like ``case_access.act``, and bring the regions' hold markers along;
    ``on_placed`` runs for each new hold inside the case's transaction (the snapshot). A hold
    this step releases is also dropped at the region's ``sources`` that hold in place."""
    with uow_factory() as uow:
        now = uow.now  # the unit's one clock reading, for the case and its audit entries
        held = load_case(uow, user, case_id, for_update=True).holds
        before = {h.hold_id: h for h in held}
        case = act_in(uow, user, case_id, now, step)
        changed = [h for h in case.holds if before.get(h.hold_id) != h]
        for hold in changed:
            if on_placed is not None and hold.hold_id not in before:
                on_placed(uow, hold)
            if hold.released_at is None:
                regions(hold.region).store.set_hold(marker(hold))
        released = [
            (hold, _account_ref(uow, hold.account))
            for hold in changed
            if hold.released_at is not None
            and (hold.hold_id not in before or before[hold.hold_id].released_at is None)
        ]
        uow.commit()
    for hold in changed:
        if hold.released_at is not None:
            regions(hold.region).store.set_hold(marker(hold))
    if sources is not None:
        _release_at_sources(uow_factory, sources, user, released)
    return case


def _account_ref(uow: CaseUnitOfWork, account_id: str) -> AccountRef:
    held = uow.accounts.get(account_id)
    return AccountRef(account_id, held.selectors if held is not None else ())


def _release_at_sources(
    uow_factory: CaseUowFactory,
    sources: RegionSources,
    user: User,
    released: list[tuple[PreservationHold, AccountRef]],
) -> None:
    """Drop the server-side copies of released holds, after the release committed (ending
    preservation comes last), each answer audited in a transaction of its own."""
    failures: list[str] = []
    for hold, ref in released:
        live = sources(hold.region)
        if not in_place_sources(live):
            continue
        with uow_factory() as uow:
            refused = release_in_place(
                live, ref, hold_id=hold.hold_id, log=uow.audit, actor=user.id, now=uow.now
            )
            uow.commit()
        failures += [f"hold {hold.hold_id} is released, but {r}" for r in refused]
    if failures:
        raise HoldInPlaceFailed(
            "; ".join(failures) + "; delete the hold mailbox on the server by hand",
            problems=failures,
        )


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
    sources: RegionSources | None = None,
) -> Case:
    """Freeze ``account``'s ``categories`` in ``region`` for this case, on the legal ``basis``.

    Where the region reads live ``sources`` (the provider's IMAP server, its records database),
    the records in scope are first copied into the region's store (``services.custody.snapshots``),
    so
    a deletion at the source after the hold loses nothing; the copy's digests go on the audit log
    with the hold. A source that cannot be read refuses the hold with the reason: a hold that
    claims to preserve what it could not copy would mislead.
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
    live = list(sources(region)) if sources is not None else []
    ref = AccountRef(held.id, held.selectors)
    refused: list[str] = []

    def snapshot(uow: CaseUnitOfWork, hold: PreservationHold) -> None:
        if live:
            taken = take_snapshot(
                regions(hold.region),
                live,
                ref,
                hold.categories,
                hold_id=hold.hold_id,
                now=hold.placed_at,
            )
            taken.audit(uow.audit, actor.id)
            refused.extend(
                f"hold {hold.hold_id} is placed and its snapshot in Comity's store preserves "
                f"the records, but {reason}"
                for reason in hold_in_place(
                    live,
                    ref,
                    hold.categories,
                    hold_id=hold.hold_id,
                    log=uow.audit,
                    actor=actor.id,
                    now=uow.now,
                )
            )

    case = act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, now: c.place_hold(
            a, now, account=account, categories=categories, region=region, basis=hold_basis
        ),
        on_placed=snapshot,
    )
    if refused:
        raise HoldInPlaceFailed("; ".join(refused), problems=refused)
    return case


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
    sources: RegionSources | None = None,
) -> Case:
    """End a hold; where a source held in place, its server-side copy is removed too."""
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: c.release_hold(hold_id, a, t, reason),
        sources=sources,
    )


def close(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    reason: str,
    sources: RegionSources | None = None,
) -> Case:
    """Close with a written outcome; the case's holds are released, in the regions too."""
    return act_with_holds(
        uow_factory,
        clock,
        regions,
        actor,
        case_id,
        step=lambda c, a, t: c.close(a, t, reason),
        sources=sources,
    )


def record_court(
    uow_factory: CaseUowFactory,
    clock: Clock,
    regions: Regions,
    actor: User,
    case_id: str,
    *,
    event: dict[str, Any],
    sources: RegionSources | None = None,
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
        sources=sources,
    )


def sync_holds(uow_factory: CaseUowFactory, regions: Regions, actor: User) -> list[str]:
    """Rewrite every case's hold markers into their regions (after a crash); say what was done."""
    permissions.check(actor, permissions.Action.HANDLE_DEMAND)
    with uow_factory() as uow:
        every = [h for case in uow.cases.list() for h in case.holds]
    for hold in every:
        regions(hold.region).store.set_hold(marker(hold))
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
