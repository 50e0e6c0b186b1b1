"""``comity users create-staff | create-requester | list | set-status``: bootstrapping identities.

The command line is the operator's own tool on the deployment, so it acts as ``cli`` on the audit
log; everyone else comes in through the API with a token.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from comity.domain.registry import StaffRole, User, UserStatus
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table
from comity.errors import InvalidInput
from comity.services import identity, sign_in

app = typer.Typer(help="Create and list staff members and requesters.", no_args_is_help=True)

Password = Annotated[
    str | None,
    typer.Option(help="Password (hashed with Argon2id); omit for token-only access."),
]


def _roles(values: list[str]) -> frozenset[StaffRole]:
    roles = set()
    for value in values:
        try:
            roles.add(StaffRole(value))
        except ValueError:
            raise InvalidInput(
                f"--role: expected one of {', '.join(r.value for r in StaffRole)}, got {value!r}"
            ) from None
    return frozenset(roles)


@app.command("create-staff")
def create_staff(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="Short id, e.g. alice")],
    name: Annotated[str, typer.Option(help="Full name")],
    email: Annotated[str, typer.Option(help="E-mail address")],
    role: Annotated[list[str], typer.Option(help="reviewer, approver, administrator, auditor")],
    password: Password = None,
) -> None:
    """Create a staff member with one or more roles."""
    comity = open_comity(ctx)
    user = User(
        user_id,
        name,
        email.lower(),
        roles=_roles(role),
        password_hash=identity.hash_password(password) if password else None,
    )
    identity.create_user(comity.intake_uow, comity.clock, user, actor="cli")
    typer.echo(user.id)


@app.command("create-requester")
def create_requester(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="Short id, e.g. dea-jsmith")],
    agency: Annotated[str, typer.Option(help="Registered authority id the requester belongs to")],
    name: Annotated[str, typer.Option(help="Full name")],
    email: Annotated[str, typer.Option(help="Official e-mail address")],
    may_file_emergency: Annotated[bool, typer.Option("--may-file-emergency")] = False,
    may_download: Annotated[bool, typer.Option("--may-download")] = False,
    password: Password = None,
) -> None:
    """Create a requester account scoped to one registered agency."""
    comity = open_comity(ctx)
    user = User(
        user_id,
        name,
        email.lower(),
        agency_id=agency,
        may_file_emergency=may_file_emergency,
        may_download=may_download,
        password_hash=identity.hash_password(password) if password else None,
    )
    identity.create_user(comity.intake_uow, comity.clock, user, actor="cli")
    typer.echo(user.id)


@app.command("set-status")
def set_status(ctx: typer.Context, user_id: str, status: str) -> None:
    """Set a user's status: active, suspended or blocklisted."""
    try:
        value = UserStatus(status)
    except ValueError:
        raise InvalidInput(
            f"STATUS: expected active, suspended or blocklisted, got {status!r}"
        ) from None
    comity = open_comity(ctx)
    identity.set_user_status(comity.intake_uow, comity.clock, user_id, value, actor="cli")
    typer.echo(f"{user_id}: {value.value}")


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, wide: WideOption = False) -> None:
    """List staff members and requesters."""
    users = identity.list_users(open_comity(ctx).intake_uow)
    if as_json:
        typer.echo(json.dumps([u.to_document() for u in users], indent=2))
        return
    scopes = [
        ", ".join(sorted(r.value for r in u.roles)) if u.is_staff else str(u.agency_id)
        for u in users
    ]
    table = folding_table(
        "id",
        "kind",
        "name",
        "email",
        "roles / agency",
        "status",
        whole={"id": [u.id for u in users], "kind": ["requester"], "status": ["blocklisted"]},
    )
    for u, scope in zip(users, scopes, strict=True):
        table.add_row(
            u.id, "staff" if u.is_staff else "requester", u.name, u.email, scope, u.status
        )
    print_table(table, wide=wide)


@app.command("totp")
def totp(ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="The user's id")]) -> None:
    """Enrol (or replace) the user's TOTP second factor; print the otpauth URI and the secret.

    Give them to the user over a trusted channel; they are shown once and replace any old secret.
    """
    comity = open_comity(ctx)
    secret = sign_in.enrol_totp(comity.console_uow, comity.clock, user_id, actor="cli")
    with comity.intake_uow() as uow:
        user = uow.intake.get_user(user_id)
    assert user is not None
    typer.echo(sign_in.provisioning_uri(secret, user.email))
    typer.echo(f"secret: {secret}")
