"""``comity case list | show | open | review | decide | recommend | approve | reject | redirect |
object | resume | close | withdraw`` (holds, notices and court events are in
``case_holds_cmd``, re-assessment in ``case_reassess_cmd``).

Reading is done as the ``cli`` operator; every action names the person who takes it with
``--as USER`` (a staff member, or for ``withdraw`` the requester who filed the demand), and the
workflow checks that person's roles, so the audit log shows who did what.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from comity.domain.inputs import DecisionIn
from comity.domain.workflow import Period
from comity.entrypoints.cli import case_holds_cmd, case_reassess_cmd
from comity.entrypoints.cli.assess_cmd import parse_day
from comity.entrypoints.cli.case_common import (
    As,
    AsJson,
    Reason,
    done,
    law_context,
    option_input,
    user_named,
)
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.entrypoints.cli.tables import WideOption, folding_table, print_table
from comity.services.cases import actions as cases
from comity.services.cases import holds as case_holds

app = typer.Typer(
    help="The case workflow: review, approval, holds, notices, courts.", no_args_is_help=True
)
app.add_typer(case_holds_cmd.hold_app, name="hold")
app.add_typer(case_holds_cmd.notice_app, name="notice")
app.command("court")(case_holds_cmd.court)
app.command("reassess")(case_reassess_cmd.reassess)


@app.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[list[str] | None, typer.Option(help="Only cases in this state")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only cases not finished")] = False,
    as_json: AsJson = False,
    wide: WideOption = False,
) -> None:
    """The queue: cases with their next deadline, the most urgent first."""
    comity = open_comity(ctx)
    items = cases.list_cases(
        comity.intake_uow, comity.clock, OPERATOR, states=state, open_only=open_only
    )
    if as_json:
        typer.echo(json.dumps([i.to_document() for i in items], indent=2))
        return
    now = comity.clock.now()
    table = folding_table(
        "reference",
        "state",
        "next deadline",
        "due",
        "overdue",
        "case",
        whole={
            "case": [i.case.case_id for i in items],
            "reference": [i.case.reference for i in items],
            "state": [i.case.state.value for i in items],
        },
    )
    for i in items:
        d = i.next_deadline
        mark = "" if d is None else ("OVERDUE " if d.due_at <= now else "") + d.kind
        table.add_row(
            i.case.reference,
            i.case.state.value,
            mark,
            "" if d is None else d.due_at.isoformat(timespec="minutes"),
            str(i.overdue or ""),
            i.case.case_id,
        )
    print_table(table, wide=wide)


@app.command("show")
def show(ctx: typer.Context, case_id: str, as_json: AsJson = False) -> None:
    """One case: findings and their status, decisions, holds, deadlines, history."""
    comity = open_comity(ctx)
    view = cases.get_case(comity.intake_uow, comity.clock, OPERATOR, case_id)
    doc = view.to_document()
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    _print(doc)


def _print(doc: dict[str, Any]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    case = doc["case"]
    console.print(
        f"case {doc['id']}  {case['reference']} ({case['instrument']}, {case['issuer_country']})"
        f"  demand {doc['demand'] or '-'}  state {case['state']}",
        markup=False,
    )
    console.print(f"next: {', '.join(doc['allowed_actions']) or 'none'}", markup=False)
    # The key is what `case decide` takes: folded, never shortened with an ellipsis.
    table = Table(Column("finding", overflow="fold"), "pathway", "status", "decision", "citation")
    for f in case["findings"]:
        key = f"{f['target']}|{f['category']}|{f['region'] or '-'}"
        decision = case["decisions"].get(key)
        table.add_row(
            key,
            f["pathway"],
            doc["statuses"].get(key, ""),
            "" if decision is None else decision["kind"],
            f.get("citation") or "",
        )
    console.print(table)
    for h in case["holds"]:
        state = "released" if h["released_at"] else f"until {h['expires_at'] or 'released'}"
        console.print(
            f"hold {h['hold_id']}: {h['account']} {','.join(h['categories'])} in {h['region']}"
            f" ({h['basis']}) {state}",
            markup=False,
        )
    for d in doc["deadlines"]:
        console.print(f"due {d['due_at']}  {d['kind']}: {d['description']} [{d['citation']}]")
    for h in case["history"]:
        why = f": {h['reason']}" if h.get("reason") else ""
        console.print(
            f"{h['at']}  {h['actor']} {h['action']} -> {h['to_state']}{why}", markup=False
        )


@app.command("open")
def open_(
    ctx: typer.Context,
    demand_id: str,
    as_user: As,
    as_of: Annotated[str | None, typer.Option(help="Assess as of YYYY-MM-DD")] = None,
) -> None:
    """Open the case of a stored demand that has none (assessed by the rule pack)."""
    comity = open_comity(ctx)
    case = cases.open_case(
        comity.intake_uow,
        comity.clock,
        user_named(comity, as_user),
        demand_id,
        law_context(comity),
        as_of=parse_day(as_of, "--as-of"),
    )
    done(case)


@app.command("review")
def review(ctx: typer.Context, case_id: str, as_user: As) -> None:
    """Start the legal review of an assessed case (reviewer)."""
    comity = open_comity(ctx)
    done(cases.start_review(comity.intake_uow, comity.clock, user_named(comity, as_user), case_id))


@app.command("decide")
def decide(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    case_id: str,
    finding: Annotated[str, typer.Argument(help="target|category|region (see case show)")],
    decision: Annotated[str, typer.Argument(help="produce, withhold or narrow")],
    as_user: As,
    justification: Annotated[
        str | None, typer.Option(help="Why, when departing from the finding's pathway")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="Narrowed period start")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Narrowed period end")] = None,
) -> None:
    """Decide one finding: produce, withhold, or narrow (with --from and --to)."""
    options: dict[str, Any] = {
        "finding": finding,
        "decision": decision,
        "justification": justification,
    }
    if start is not None or end is not None:
        options["period"] = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    body = option_input(
        DecisionIn,
        options,
        {
            "finding": "FINDING",
            "decision": "DECISION",
            "period.start": "--from",
            "period.end": "--to",
            "period": "--from/--to",
        },
    )
    comity = open_comity(ctx)
    case = cases.decide(
        comity.intake_uow,
        comity.clock,
        user_named(comity, as_user),
        case_id,
        finding=body.finding,
        decision=body.decision,
        period=Period(start=body.period.start, end=body.period.end) if body.period else None,
        justification=body.justification,
    )
    done(case)


@app.command("recommend")
def recommend(
    ctx: typer.Context,
    case_id: str,
    as_user: As,
    note: Annotated[str | None, typer.Option(help="A note for the approver")] = None,
) -> None:
    """Recommend the decisions for approval (reviewer)."""
    comity = open_comity(ctx)
    user = user_named(comity, as_user)
    done(cases.recommend(comity.intake_uow, comity.clock, user, case_id, note))


@app.command("approve")
def approve(ctx: typer.Context, case_id: str, as_user: As) -> None:
    """Approve the recommended decisions (an approver other than the reviewer: four eyes)."""
    comity = open_comity(ctx)
    done(cases.approve(comity.intake_uow, comity.clock, user_named(comity, as_user), case_id))


def _reasoned(name: str, doc: str) -> None:
    action = {
        "reject": cases.reject,
        "redirect": cases.redirect,
        "object": cases.object_to,
        "resume": cases.resume,
    }[name]

    def command(ctx: typer.Context, case_id: str, as_user: As, reason: Reason) -> None:
        comity = open_comity(ctx)
        user = user_named(comity, as_user)
        done(action(comity.intake_uow, comity.clock, user, case_id, reason))

    command.__doc__ = doc
    app.command(name)(command)


_reasoned("reject", "Reject the demand, with the reason.")
_reasoned("redirect", "Redirect the requester elsewhere (e.g. the MLAT), with the reason.")
_reasoned("object", "Object to the demand (motion, Art. 17 review), with the reason.")
_reasoned("resume", "Resume review after an objection ended, saying how it ended.")


@app.command("close")
def close(ctx: typer.Context, case_id: str, as_user: As, reason: Reason) -> None:
    """Close with a written outcome (administrator); the case's holds are released."""
    comity = open_comity(ctx)
    user = user_named(comity, as_user)
    case = case_holds.close(
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user,
        case_id,
        reason=reason,
    )
    done(case)


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    case_id: str,
    as_user: Annotated[str, typer.Option("--as", help="The requester who filed the demand")],
    reason: Annotated[str, typer.Option(help="Why (optional)")] = "",
) -> None:
    """Withdraw the demand and its case, on behalf of the requester who filed it."""
    comity = open_comity(ctx)
    user = user_named(comity, as_user)
    done(cases.withdraw(comity.intake_uow, comity.clock, user, case_id, reason=reason))
