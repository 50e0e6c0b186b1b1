"""``comity case hold ... | notice ... | court KIND ...``: holds, notices and court events.

Holds are written into the held account's region store (through the region), which then refuses
deletion; ``hold sync`` rewrites every marker from the cases after a crash.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
import yaml

from comity.domain.categories import Category
from comity.domain.inputs import DelayIn, NonDisclosureIn
from comity.entrypoints.cli.case_common import (
    As,
    Reason,
    done,
    option_input,
    user_named,
)
from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput
from comity.services.cases import holds as case_holds

hold_app = typer.Typer(help="Preservation holds, enforced in the regions.", no_args_is_help=True)
notice_app = typer.Typer(help="User notice, gag orders, delayed notice.", no_args_is_help=True)


def _categories(values: list[str]) -> tuple[Category, ...]:
    try:
        return tuple(Category.parse(v) for v in values)
    except ValueError as exc:
        raise InvalidInput(f"--category: {exc}") from None


@hold_app.command("place")
def place(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    case_id: str,
    as_user: As,
    account: Annotated[str, typer.Option(help="Account id to preserve")],
    region: Annotated[str, typer.Option(help="Region holding the data")],
    category: Annotated[list[str], typer.Option(help="Data category (repeat for several)")],
    basis: Annotated[
        str, typer.Option(help="us.2703f, eu.epoc_pr, us.2703h_pending or litigation")
    ] = "us.2703f",
) -> None:
    """Preserve an account's categories in a region; the region refuses their deletion."""
    comity = open_comity(ctx)
    case = case_holds.place_hold(
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user_named(comity, as_user),
        case_id,
        account=account,
        categories=_categories(category),
        region=region,
        basis=basis,
    )
    hold = case.holds[-1]
    until = hold.expires_at.isoformat() if hold.expires_at else "released"
    typer.echo(f"{hold.hold_id}: {account} {','.join(category)} in {region} until {until}")


@hold_app.command("extend")
def extend(ctx: typer.Context, case_id: str, hold_id: str, as_user: As) -> None:
    """Extend a hold once, where its legal basis allows (2703(f): 90 days; EPOC-PR: 30)."""
    comity = open_comity(ctx)
    case = case_holds.extend_hold(
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user_named(comity, as_user),
        case_id,
        hold_id=hold_id,
    )
    hold = next(h for h in case.holds if h.hold_id == hold_id)
    typer.echo(f"{hold_id}: until {hold.expires_at.isoformat() if hold.expires_at else '-'}")


@hold_app.command("confirm")
def confirm(ctx: typer.Context, case_id: str, hold_id: str, as_user: As) -> None:
    """EPOC-PR: the issuer confirmed a follow-up production request; keep it as long as needed."""
    comity = open_comity(ctx)
    case_holds.confirm_hold(
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user_named(comity, as_user),
        case_id,
        hold_id=hold_id,
    )
    typer.echo(f"{hold_id}: confirmed; kept until released")


@hold_app.command("release")
def release(ctx: typer.Context, case_id: str, hold_id: str, as_user: As, reason: Reason) -> None:
    """Release a hold, saying why; the region may delete the data again."""
    comity = open_comity(ctx)
    case_holds.release_hold(
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user_named(comity, as_user),
        case_id,
        hold_id=hold_id,
        reason=reason,
    )
    typer.echo(f"{hold_id}: released")


@hold_app.command("sync")
def sync(ctx: typer.Context, as_user: As) -> None:
    """Rewrite every hold marker into its region from the cases, through its agent (after a
    crash, or once an agent that missed a release is back)."""
    comity = open_comity(ctx)
    for line in case_holds.sync_holds(
        comity.intake_uow, comity.clock, comity.region_holds, user_named(comity, as_user)
    ):
        typer.echo(line)


@notice_app.command("gag")
def gag(
    ctx: typer.Context,
    case_id: str,
    as_user: As,
    until: Annotated[str | None, typer.Option(help="Last day of the order, YYYY-MM-DD")] = None,
    indefinite: Annotated[bool, typer.Option(help="The order has no end date")] = False,
) -> None:
    """Record a non-disclosure order (18 U.S.C. 2705(b)); a past --until ends it."""
    order = option_input(NonDisclosureIn, {"until": until, "indefinite": indefinite})
    comity = open_comity(ctx)
    done(
        case_holds.set_non_disclosure(
            comity.intake_uow,
            comity.clock,
            user_named(comity, as_user),
            case_id,
            until=order.until,
            indefinite=order.indefinite,
        )
    )


@notice_app.command("delay")
def delay(
    ctx: typer.Context,
    case_id: str,
    as_user: As,
    start: Annotated[str, typer.Option(help="When the delay starts, ISO 8601 with offset")],
    periods: Annotated[int, typer.Option(help="Number of 90-day periods")] = 1,
) -> None:
    """Record delayed notice under 18 U.S.C. 2705(a), 90 days per period."""
    order = option_input(DelayIn, {"start": start, "periods": periods})
    comity = open_comity(ctx)
    done(
        case_holds.delay_notice(
            comity.intake_uow,
            comity.clock,
            user_named(comity, as_user),
            case_id,
            start=order.start,
            periods=order.periods,
        )
    )


@notice_app.command("customer")
def customer(ctx: typer.Context, case_id: str, name: str, as_user: As) -> None:
    """An enterprise account: the demand goes to this customer, who is the one told."""
    comity = open_comity(ctx)
    user = user_named(comity, as_user)
    done(case_holds.set_customer(comity.intake_uow, comity.clock, user, case_id, name))


@notice_app.command("give")
def give(ctx: typer.Context, case_id: str, as_user: As) -> None:
    """Record that the user (or the enterprise customer) was told; refused while gagged."""
    comity = open_comity(ctx)
    user = user_named(comity, as_user)
    done(case_holds.give_notice(comity.intake_uow, comity.clock, user, case_id))


def _field(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InvalidInput(f"--set: expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), yaml.safe_load(value) if value.strip() else value
    except yaml.YAMLError:
        return name.strip(), value


def court(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    case_id: str,
    kind: Annotated[
        str,
        typer.Argument(
            help="motion_to_quash, motion_to_modify, motion_2703h, ruling, stay, contempt, "
            "appeal, petition_rehearing, proceeding, law_change, moot, judgment_vacated, "
            "replacement_demand"
        ),
    ],
    as_user: As,
    field: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE of the event (repeat)")
    ] = None,
    scope_category: Annotated[
        list[str] | None, typer.Option(help="Findings of this category only (repeat)")
    ] = None,
    stored_abroad: Annotated[
        bool, typer.Option(help="Only data stored outside the issuing country")
    ] = False,
    at: Annotated[str | None, typer.Option(help="When, ISO 8601 with offset (default now)")] = None,
) -> None:
    """Record a court event, e.g. ``court ID ruling --set outcome=grants --set decides=m-1``."""
    event: dict[str, Any] = {"kind": kind, **dict(_field(f) for f in field or [])}
    if scope_category or stored_abroad:
        event["scope"] = {
            "categories": list(_categories(scope_category or [])),
            "stored_abroad": stored_abroad,
        }
    if at is not None:
        event["at"] = at
    comity = open_comity(ctx)
    case = case_holds.record_court(
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user_named(comity, as_user),
        case_id,
        event=event,
    )
    done(case)
    for key, status in case.statuses().items():
        typer.echo(f"  {key}: {status}")
