"""``comity demand submit | list | show | withdraw | verify | verify-callback | import``.

Demands that arrive outside the API (post, e-mail) are entered here by the operator, acting as the
``cli`` administrator; ``--agency`` attributes one to a registered authority. Withdrawal,
verification and call-backs name the person who did them (``--as`` / ``--by``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from comity.bootstrap import Comity
from comity.domain.intake import CallbackOutcome
from comity.domain.registry import StaffRole, User
from comity.entrypoints.cli import etsi_cmd
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import WideOption, folding_table, print_table
from comity.errors import InvalidInput, NotFound
from comity.law.countries import known_countries
from comity.services.cases import actions as cases
from comity.services.cases.actions import LawContext
from comity.services.intake import demands as svc
from comity.services.intake.ports import DemandFilter

app = typer.Typer(help="Submit, list, show and withdraw demands.", no_args_is_help=True)

#: The operator at the console: full rights, recorded as ``cli`` on the audit log.
OPERATOR = User("cli", "command line operator", "cli@localhost", roles=frozenset(StaffRole))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None


def _user(comity: Comity, user_id: str) -> User:
    with comity.intake_uow() as uow:
        user: User | None = uow.intake.get_user(user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id!r}")
    return user


@app.command("submit")
def submit(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    demand: Annotated[Path, typer.Argument(help="The demand document (contract section 4)")],
    file: Annotated[Path | None, typer.Option("--file", help="Legal process (PDF/image)")] = None,
    agency: Annotated[str | None, typer.Option(help="Registered authority it came from")] = None,
    signature: Annotated[str | None, typer.Option(help='keyid="...", sig="..."')] = None,
    open_case: Annotated[
        bool, typer.Option("--case/--no-case", help="Open its case at once (law engine)")
    ] = True,
) -> None:
    """Submit DEMAND.json (and its legal-process file); print the demand id.

    Its case opens at once, assessed by the rule pack (see ``comity case list``)."""
    comity = open_comity(ctx)
    upload = svc.LegalProcessFile(file.name, _read(file)) if file else None
    law = LawContext(comity.assessor, comity.deployment, known_countries()) if open_case else None
    try:
        submission = svc.Submission(_read(demand), upload, signature, agency)
        # one service call stores the demand and opens its case (as the API and the portal do)
        record, _created = cases.file_demand(
            comity.intake_uow,
            comity.clock,
            OPERATOR,
            submission,
            known_countries=known_countries(),
            vocabulary=svc.vocabulary_of(comity.law_engine),
            law=law,
        )
    except InvalidInput as exc:
        exc.problems = [f"{demand}: {p}" for p in exc.problems]
        raise
    typer.echo(record.id)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="received, withdrawn or refused")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the demands as JSON.")] = False,
    wide: WideOption = False,
) -> None:
    """List demands, oldest first."""
    items = svc.list_demands(
        open_comity(ctx).intake_uow, OPERATOR, DemandFilter(status=status), limit=None
    ).items
    if as_json:
        typer.echo(json.dumps([r.to_document() for r in items], indent=2))
        return
    table = folding_table(
        "id",
        "reference",
        "agency",
        "status",
        "verification",
        "emergency",
        "blocked",
        whole={"id": [r.id for r in items], "reference": [r.reference for r in items]},
    )
    for r in items:
        table.add_row(
            r.id,
            r.reference,
            r.agency_id or "-",
            r.status,
            r.verification,
            "yes" if r.emergency else "",
            "yes" if r.disclosure_blocked_reason else "",
        )
    print_table(table, wide=wide)


@app.command("show")
def show(ctx: typer.Context, demand_id: str) -> None:
    """Show one demand as JSON, with its verification, fraud signs and blocking reason."""
    record = svc.visible_demand(open_comity(ctx).intake_uow, OPERATOR, demand_id)
    typer.echo(json.dumps(record.to_document(), indent=2))


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    demand_id: str,
    as_user: Annotated[str, typer.Option("--as", help="The requester who filed it")],
    reason: str = "",
) -> None:
    """Withdraw a demand on behalf of the requester who filed it (its open case with it)."""
    comity = open_comity(ctx)
    cases.withdraw_demand(
        comity.intake_uow, comity.clock, _user(comity, as_user), demand_id, reason=reason
    )
    typer.echo(f"{demand_id}: withdrawn")


@app.command("verify")
def verify(
    ctx: typer.Context,
    demand_id: str,
    by: Annotated[str, typer.Option(help="Staff member (approver) who verified")],
    note: Annotated[str, typer.Option(help="How the requester was verified")],
) -> None:
    """Record that staff verified an unverified or flagged requester out of band."""
    comity = open_comity(ctx)
    record = svc.verify_demand(
        comity.intake_uow, comity.clock, _user(comity, by), demand_id, note=note
    )
    typer.echo(f"{demand_id}: {record.disclosure_blocked_reason or 'not blocked'}")


@app.command("verify-callback")
def verify_callback(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    demand_id: str,
    contact: Annotated[str, typer.Option(help="Name of the registry contact called back")],
    by: Annotated[str, typer.Option(help="Staff member who made the call")],
    outcome: Annotated[str, typer.Option(help="confirmed, denied or unreachable")] = "confirmed",
    note: str = "",
) -> None:
    """Record a call-back to the agency's independently sourced contact (emergency requests)."""
    try:
        result = CallbackOutcome(outcome)
    except ValueError:
        raise InvalidInput(
            f"--outcome: expected confirmed, denied or unreachable, got {outcome!r}"
        ) from None
    comity = open_comity(ctx)
    record = svc.record_callback(
        comity.intake_uow,
        comity.clock,
        _user(comity, by),
        demand_id,
        contact=contact,
        outcome=result,
        note=note,
    )
    typer.echo(
        f"{demand_id}: {record.status.value}; {record.disclosure_blocked_reason or 'not blocked'}"
    )


etsi_cmd.register(app)  # comity demand import | hi1-status | hi1-deliver (ETSI TS 103 120)
