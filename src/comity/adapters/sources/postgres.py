"""Subscriber, identification and traffic rows in the provider's own PostgreSQL database.

The operator writes one named, parameterised query per category in a file (``queries``)::

    -- name: subscriber
    SELECT id, created_at AS occurred_at, full_name, plan
      FROM customers WHERE lower(email) = %(email)s

Parameters are ``%(email)s``, ``%(local)s``, ``%(account)s`` (at least one of them, so a query is
always about the named account), and optionally ``%(start)s`` and ``%(end)s`` for the period. Each
row must carry ``id`` (stable, the record's id at the source) and ``occurred_at`` (a timestamp
with time zone); the other columns are the record's fields. A query named ``account`` (optional)
answers account lookup; without it the subscriber query does.

Every query runs in a read-only transaction (``SET TRANSACTION READ ONLY``), and the role in
``url`` should be read-only too (docs/sources.md): two locks, one Comity's, one the database's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from comity.adapters.sources.secret_file import read_secret
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import ConfigurationError
from comity.services.custody.source_ports import AccountRef, SourceAccount, SourceUnavailable

NAME_LINE = re.compile(r"^--\s*name:\s*(?P<name>[a-z_]+)\s*$", re.MULTILINE)
PARAMETER = re.compile(r"%\((?P<name>[a-z_]+)\)s")
SELECTING = frozenset({"email", "local", "account"})
PARAMETERS = SELECTING | {"start", "end"}
QUERY_NAMES = frozenset({"subscriber", "identification", "traffic", "account"})


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    parameters: frozenset[str]


def parse_queries(text: str, where: str) -> dict[str, NamedQuery]:
    """The named queries of a file; ``ConfigurationError`` naming every query at fault."""
    problems: list[str] = []
    marks = list(NAME_LINE.finditer(text))
    if not marks:
        raise ConfigurationError(f"{where}: no '-- name: <category>' line; name each query")
    queries: dict[str, NamedQuery] = {}
    for i, mark in enumerate(marks):
        name = mark["name"]
        body = text[mark.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        sql = body.strip().rstrip(";").strip()
        used = frozenset(m["name"] for m in PARAMETER.finditer(sql))
        if name not in QUERY_NAMES:
            problems.append(
                f"{where}: query {name!r} is not one of {', '.join(sorted(QUERY_NAMES))}"
            )
        elif name in queries:
            problems.append(f"{where}: query {name!r} is named twice")
        elif not sql:
            problems.append(f"{where}: query {name!r} is empty")
        elif unknown := sorted(used - PARAMETERS):
            problems.append(
                f"{where}: query {name!r} uses parameter %({unknown[0]})s, which Comity does not "
                f"supply (it supplies {', '.join(sorted(PARAMETERS))})"
            )
        elif not used & SELECTING:
            problems.append(
                f"{where}: query {name!r} is missing a parameter naming the account "
                "(%(email)s, %(local)s or %(account)s), so it would return every customer's rows"
            )
        else:
            queries[name] = NamedQuery(name, sql, used)
    if problems:
        raise ConfigurationError(problems[0], problems=problems)
    return queries


class PostgresSource:
    """One ``kind = "postgresql"`` source of one region."""

    def __init__(
        self,
        name: str,
        *,
        url: str,
        password_file: Path | None,
        queries: Path,
        connect_timeout: int = 10,
    ) -> None:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError(f"source {name}: url {url!r} must be a postgresql:// URL")
        self._name = name
        self._url = url
        self._password_file = password_file
        self._queries_path = queries
        self._timeout = connect_timeout
        self._queries = self._load()

    def _load(self) -> dict[str, NamedQuery]:
        try:
            text = self._queries_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"source {self._name}: cannot read queries file {self._queries_path}: "
                f"{exc.strerror}"
            ) from None
        return parse_queries(text, f"source {self._name} queries {self._queries_path}")

    @property
    def name(self) -> str:
        return self._name

    @property
    def sequenced(self) -> bool:
        return False

    @property
    def categories(self) -> frozenset[Category]:
        return frozenset(Category(n) for n in self._queries if n != "account")

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        password = (
            read_secret(self._password_file, f"source {self._name} password_file")
            if self._password_file is not None
            else None
        )
        try:
            conn = psycopg.connect(
                self._url,
                password=password,
                connect_timeout=self._timeout,
                row_factory=dict_row,
                autocommit=False,
            )
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "refused"
            raise SourceUnavailable(
                f"source {self._name}: cannot connect to the records database: {reason}"
            ) from None
        conn.read_only = True
        return conn

    def _rows(self, query: NamedQuery, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        try:
            with self._connect() as conn, conn.cursor(name="comity_source") as cur:
                cur.execute(query.sql.encode(), {k: params.get(k) for k in query.parameters})
                yield from cur
        except psycopg.Error as exc:
            raise SourceUnavailable(
                f"source {self._name}: query {query.name!r} failed: "
                f"{str(exc).strip().splitlines()[0]}"
            ) from None

    def lookup(self, selector: Selector) -> SourceAccount | None:
        query = self._queries.get("account") or self._queries.get("subscriber")
        if query is None:
            return None
        ref = AccountRef(selector.value if selector.type == "account_id" else "", (selector,))
        params = _params(ref, None, None)
        if query.parameters & SELECTING - params.keys():
            return None  # the query looks up by a name this selector does not give
        for row in self._rows(query, params):
            return SourceAccount(
                self._name, str(selector), {k: str(v) for k, v in row.items() if v is not None}
            )
        return None

    def iter_records(
        self,
        account: AccountRef,
        categories: Sequence[Category],
        start: datetime | None,
        end: datetime | None,
    ) -> Iterator[Record]:
        params = _params(account, start, end)
        for category in categories:
            query = self._queries.get(category.value)
            if query is None or query.parameters & SELECTING - params.keys():
                continue  # no query, or it needs a name (an address) the account lacks
            for n, row in enumerate(self._rows(query, params), 1):
                record = self._record(account.account_id, category, query, n, row)
                if (start is not None and record.occurred_at < start) or (
                    end is not None and record.occurred_at >= end
                ):
                    continue
                yield record

    def _record(
        self, account_id: str, category: Category, query: NamedQuery, n: int, row: dict[str, Any]
    ) -> Record:
        where = f"source {self._name}: query {query.name!r} row {n}"
        row_id = row.get("id")
        when = row.get("occurred_at")
        if row_id is None or str(row_id) == "":
            raise SourceUnavailable(f"{where} has no id column (or it is empty)")
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise SourceUnavailable(
                f"{where} (id {row_id}): occurred_at must be a timestamp with time zone, "
                f"got {when!r}"
            )
        fields = {k: _json(v) for k, v in row.items() if k not in ("id", "occurred_at")}
        return Record.of_fields(
            f"{self._name}:{category.value}:{row_id}", account_id, category, when, fields
        )

    def check(self, selector: Selector | None) -> list[str]:
        lines = [
            f"{self._name}: queries file {self._queries_path} names "
            + ", ".join(sorted(self._queries))
        ]
        try:
            with self._connect() as conn:
                row = conn.execute("SHOW transaction_read_only").fetchone()
                writes = conn.execute(
                    "SELECT bool_or(has_table_privilege(c.oid, 'INSERT,UPDATE,DELETE')) AS w "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', "
                    "'information_schema')"
                ).fetchone()
        except psycopg.Error as exc:
            raise SourceUnavailable(
                f"source {self._name}: {str(exc).strip().splitlines()[0]}"
            ) from None
        lines.append(
            f"{self._name}: database reachable; transactions read-only: "
            f"{(row or {}).get('transaction_read_only', '?')}"
        )
        if writes and writes.get("w"):
            lines.append(
                f"{self._name}: WARNING: the role may write to some tables; give Comity a "
                "read-only role (docs/sources.md)"
            )
        else:
            lines.append(f"{self._name}: the role cannot write to any table")
        if selector is not None:
            found = self.lookup(selector)
            lines.append(
                f"{self._name}: {selector} not found"
                if found is None
                else f"{self._name}: {selector} found ("
                + ", ".join(f"{k}={v}" for k, v in found.attributes.items())
                + ")"
            )
        return lines


def _params(account: AccountRef, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    out: dict[str, Any] = {"start": start, "end": end}
    email = account.first("email")
    if email:
        out["email"] = email
        out["local"] = email.split("@", 1)[0]
    if account.account_id:
        out["account"] = account.account_id
    return out


def _json(value: Any) -> Any:
    """A column value as JSON: times and days in ISO 8601, decimals as text, the rest as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value
