"""``comity report transparency | verify``: the figures a provider publishes, and checking them.

A report is counted at the log's latest signed checkpoint and records it; ``report verify``
recounts it from the demands the log held at that checkpoint and names every figure that differs.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from comity.bootstrap import Comity
from comity.domain.transparency import half_year
from comity.domain.transparency_profiles import Bands, Profile, differences, profile
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.errors import IntegrityError, InvalidInput
from comity.services.transparency import published_report, transparency_report

app = typer.Typer(help="Reports built from the record.", no_args_is_help=True)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option}: expected a date such as 2026-01-01, got {text!r}") from None


def _count(  # noqa: PLR0917 (the report's inputs, in the order a reader states them)
    comity: Comity, first: date, last: date, which: Profile, bands: Bands, at: int | None
) -> dict[str, object]:
    """The report counted at checkpoint size ``at`` (None: the latest signed checkpoint)."""
    checkpoint, logged = comity.audit_log.report_checkpoint(at)
    return published_report(
        comity.intake_uow,
        OPERATOR,
        first,
        last,
        which=which,
        bands=bands,
        logged=logged,
        counted_at=checkpoint,
    )


def _markdown(doc: dict[str, Any]) -> str:
    period = doc["period"]
    lines = [
        f"# Law enforcement requests, {period['start']} to {period['end']} ({doc['profile']})",
        "",
        "| " + " | ".join(doc["columns"]) + " |",
        "|" + "---|" * len(doc["columns"]),
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in doc["table"]]
    ns = doc["national_security"]
    lines += ["", f"National-security process ({ns['basis']}, bands of {ns['band_size']}):"]
    lines += [f"- {r['process']}: {r['requests']}" for r in ns["rows"]]
    if "withheld" in ns:
        lines.append(f"- withheld: {ns['withheld']}")
    cp = doc["checkpoint"]
    lines += ["", f"Counted at audit log checkpoint {cp['size']} (root {cp['root']})."]
    return "\n".join(lines) + "\n"


def _csv(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(doc["columns"])
    writer.writerows(doc["table"])
    return out.getvalue()


@app.command("transparency")
def transparency(  # noqa: PLR0917 (every option of the report)
    ctx: typer.Context,
    half: Annotated[
        str | None, typer.Option(help="A half-year such as 2026-H1 (instead of --from/--to).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, e.g. 2026-01-01.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, inclusive.")] = None,
    output: Annotated[str, typer.Option("--format", help="markdown, json or csv.")] = "markdown",
    which: Annotated[
        str, typer.Option("--profile", help="comity, microsoft or google: whose columns.")
    ] = "comity",
    band_size: Annotated[
        int, typer.Option(help="50 U.S.C. 1874 band size counsel chose: 1000, 500, 250 or 100.")
    ] = 1000,
    delay_days: Annotated[
        int, typer.Option(help="Days after the period before FISA figures may be published.")
    ] = 180,
    published_on: Annotated[
        str | None, typer.Option(help="Publication date (FISA figures need their delay).")
    ] = None,
) -> None:
    """Requests received in the period, per country and legal process, and what became of them.

    The JSON form records the audit log checkpoint it was counted at; publish it so that
    `comity report verify` can check every figure."""
    if output not in ("markdown", "json", "csv"):
        raise InvalidInput(f"--format: expected markdown, json or csv, got {output!r}")
    chosen = profile(which)
    if half is not None:
        if start is not None or end is not None:
            raise InvalidInput("give either --half or --from and --to, not both")
        first, last = half_year(half)
    elif start is not None and end is not None:
        first, last = _day("--from", start), _day("--to", end)
    else:
        raise InvalidInput("give the period: --half 2026-H1, or --from and --to")
    bands = Bands(
        band_size,
        delay_days,
        _day("--published-on", published_on) if published_on is not None else None,
    )
    comity = open_comity(ctx)
    if chosen is Profile.COMITY and output != "json":
        report = transparency_report(comity.intake_uow, OPERATOR, first, last)
        typer.echo(report.to_csv() if output == "csv" else report.to_markdown(), nl=False)
        return
    doc = _count(comity, first, last, chosen, bands, None)
    if output == "json":
        typer.echo(json.dumps(doc, indent=2))
    elif output == "csv":
        typer.echo(_csv(doc), nl=False)
    else:
        typer.echo(_markdown(doc), nl=False)


def _read_report(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a readable JSON report ({exc})") from None
    if not isinstance(doc, dict) or doc.get("report") != "transparency":
        raise InvalidInput(f"{path}: not a transparency report made by --format json")
    return doc


@app.command("verify")
def verify(
    ctx: typer.Context,
    report: Annotated[Path, typer.Argument(help="A report made with --format json.")],
    key: Annotated[
        str | None, typer.Option("--key", help="The log's verifier key (default: this one's).")
    ] = None,
) -> None:
    """Recount a published report from the log up to its checkpoint; exit 1 naming each figure
    that differs."""
    doc = _read_report(report)
    comity = open_comity(ctx)
    verifier = comity.audit_log.verifier_key(key)
    try:
        period = doc["period"]
        first, last = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
        ns = doc["national_security"]
        published = ns.get("published_on")
        bands = Bands(
            int(ns["band_size"]),
            int(ns["delay_days"]),
            date.fromisoformat(published) if published else None,
        )
        chosen = profile(str(doc["profile"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            f"{report}: the report's period or parameters are malformed ({exc})"
        ) from None
    size, later = comity.audit_log.report_recorded_at(doc.get("checkpoint"), verifier)
    recount = _count(comity, first, last, chosen, bands, size)
    found = differences(doc, recount)
    if found:
        if later:
            found.append(
                "entries after the checkpoint concern: "
                + ", ".join(later)
                + " (their outcome is recounted as it stands now)"
            )
        raise IntegrityError(found[0], problems=found)
    typer.echo(
        f"ok: every figure of {report.name} is what the log's first {size} entries give "
        f"(profile {chosen.value}, {first.isoformat()} to {last.isoformat()})"
    )
