"""Migration 0012_deadlines (every case's deadline rows re-derived) on a seeded control plane.

For each database (SQLite, and PostgreSQL when ``--pg-url`` is given), in the same run: a
deployment seeded with ``--size`` demands and cases by ``bench/load.py``'s cloning (the templates
filed and assessed through the real code), put back at revision 0011, then

1. the floor: every case document read and parsed into a ``Case`` (what any re-derivation must
   at least do), in the migration's batches;
2. ``upgrade`` to head, i.e. 0012 (read, derive, delete and insert the deadline rows, write the
   changed columns), timed;

and prints both times and their ratio, so the figure means something on a busy machine.

    .venv/bin/python bench/migrate_deadlines.py [--size 100000]
        [--pg-url postgresql://user@127.0.0.1:PORT/postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command

sys.path.insert(0, str(Path(__file__).parent))

from comity.adapters.controlplane.migrate import alembic_config, upgrade
from comity.domain.workflow import Case
from load import file_templates, fresh_pg, make_world, seed


def _to_0011(engine: sa.Engine) -> None:
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0011_scale")


def _parse_every_document(engine: sa.Engine, batch: int = 2000) -> int:
    cases = sa.Table("cases", sa.MetaData(), autoload_with=engine)
    text = sa.cast(cases.c.document, sa.Text)
    last, seen = "", 0
    with engine.connect() as connection:
        while True:
            rows = connection.execute(
                sa.select(cases.c.id, text)
                .where(cases.c.id > last)
                .order_by(cases.c.id)
                .limit(batch)
            ).all()
            if not rows:
                return seen
            for _, document in rows:
                Case.model_validate_json(document)
            seen += len(rows)
            last = rows[-1][0]


def _stale_notice_rows(engine: sa.Engine, batch: int = 5000) -> None:
    """Give every case the row the code before 0ba6aac wrote: user notice due at receipt."""
    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=engine)
    deadlines = sa.Table("case_deadlines", meta, autoload_with=engine)
    with engine.begin() as connection:
        rows = connection.execute(sa.select(cases.c.id, cases.c.received_at)).all()
        for start in range(0, len(rows), batch):
            connection.execute(
                deadlines.insert(),
                [
                    {
                        "case_id": ident,
                        "due_at": received,
                        "subject": f"case/{ident}",
                        "kind": "user_notice",
                        "document": {"kind": "user_notice", "due_at": received.isoformat()},
                    }
                    for ident, received in rows[start : start + batch]
                ],
            )
            connection.execute(
                cases.update()
                .where(cases.c.id.in_([r[0] for r in rows[start : start + batch]]))
                .values(next_due_at=cases.c.received_at)
            )


def run_one(database: str, size: int, pg_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="comity-migrate-") as tmp:
        control = "sqlite:///control.db" if pg_url is None else fresh_pg(pg_url)
        world = make_world(Path(tmp), control)
        file_templates(world)
        took = seed(world, size)
        engine = world.comity.engine
        _to_0011(engine)
        _stale_notice_rows(engine)
        t0 = time.perf_counter()
        parsed = _parse_every_document(engine)
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        upgrade(engine)
        migrated = time.perf_counter() - t0
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT count(*) FROM case_deadlines")).scalar_one()
        print(
            f"{database}: {parsed:,} cases (seeded in {took:.0f} s), {rows:,} deadline rows after "
            "(one stale each before); "
            f"parse every document {floor:.1f} s; upgrade 0011 -> 0012 {migrated:.1f} s "
            f"({parsed / migrated:,.0f} cases/s, {migrated / floor:.1f}x the parse)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    run_one("sqlite", args.size, None)
    if args.pg_url:
        run_one("postgresql", args.size, args.pg_url)


if __name__ == "__main__":
    main()
