"""``comity accounts create FILE | list | show ID``: accounts and their per-category placement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from comity.domain.accounts import parse_account
from comity.domain.categories import Category
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import WideOption, folding_table, print_table
from comity.errors import InvalidInput, collect
from comity.law.countries import known_countries
from comity.services.accounts import create_account, get_account, list_accounts
from comity.services.custody.erasure import delete_records

app = typer.Typer(help="Create, list and show accounts.", no_args_is_help=True)


def read_structured(path: Path) -> object:
    """Parse a YAML or JSON file (JSON is YAML), naming the file and line of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InvalidInput(f"{path}: not valid YAML or JSON{where}: {problem}") from None


@app.command("create")
def create(ctx: typer.Context, file: Path) -> None:
    """Create the account(s) described in FILE (one account document, or a list of them)."""
    comity = open_comity(ctx)
    doc = read_structured(file)
    docs = doc if isinstance(doc, list) else [doc]
    accounts, problems = [], []
    for i, item in enumerate(docs):
        account, errs = parse_account(
            item,
            region_ids=frozenset(comity.deployment.region_ids),
            known_countries=known_countries(),
        )
        prefix = f"{file}: " if len(docs) == 1 else f"{file}: item {i}: "
        problems += [prefix + e for e in errs]
        if account:
            accounts.append(account)
    collect(problems)
    for account in accounts:
        create_account(comity.uow, account, actor="cli", clock=comity.clock)
        typer.echo(account.id)


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the accounts as JSON.")] = False,
    wide: WideOption = False,
) -> None:
    """List accounts with their home region and placement."""
    accounts = list_accounts(open_comity(ctx).uow)
    if as_json:
        typer.echo(json.dumps([a.to_document() for a in accounts], indent=2))
        return
    table = folding_table("id", "selectors", "home", "placement", "kind")
    for a in accounts:
        table.add_row(
            a.id,
            ", ".join(map(str, a.selectors)),
            a.home_region,
            ", ".join(f"{c}={r}" for c, r in sorted(a.placement.items())) or "-",
            a.kind.value,
        )
    print_table(table, wide=wide)


@app.command("show")
def show(ctx: typer.Context, account_id: str) -> None:
    """Show one account as YAML."""
    account = get_account(open_comity(ctx).uow, account_id)
    typer.echo(yaml.safe_dump(account.to_document(), sort_keys=False).rstrip())


@app.command("delete")
def delete(
    ctx: typer.Context,
    account_id: str,
    category: Annotated[
        list[str] | None, typer.Option(help="Only this category (repeat); default all")
    ] = None,
    purge: Annotated[
        bool, typer.Option(help="Remove outright; refused while a preservation hold covers them")
    ] = False,
) -> None:
    """The customer's deletion: held records are hidden and kept, the rest removed (--purge:
    remove everything, refused under a hold)."""
    try:
        categories = [Category.parse(c) for c in category] if category else None
    except ValueError as exc:
        raise InvalidInput(f"--category: {exc}") from None
    comity = open_comity(ctx)
    for e in delete_records(
        comity.uow,
        comity.region_store,
        comity.clock,
        account_id,
        categories=categories,
        purge=purge,
        actor="cli",
    ):
        kept = f", {e.hidden} hidden and kept under a hold" if e.hidden else ""
        typer.echo(f"{e.region} {e.category.value}: {e.removed} removed{kept}")


# ``comity accounts move`` lives in its own module; it joins this group here so that loading the
# group (lazily, from the root) brings the whole group.
from comity.entrypoints.cli.move_cmd import move  # noqa: E402

app.command("move")(move)
