"""``[regions.X.sources.Y]`` (contract section 8), the PostgreSQL query file and secret files:
each mistake is one sentence naming the key, the query or the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from comity.adapters.config.deployment_file import parse_deployment
from comity.adapters.sources.config import region_sources
from comity.adapters.sources.postgres import parse_queries
from comity.adapters.sources.secret_file import read_secret
from comity.errors import ConfigurationError


def _doc(sources: dict[str, Any]) -> dict[str, Any]:
    return {
        "provider": {"name": "P", "established_in": "IE"},
        "regions": {"eu-ie": {"country": "IE", "store": "sqlite:///x.db", "sources": sources}},
    }


def test_the_contract_example_parses_with_files_resolved_against_the_deployment(
    tmp_path: Path,
) -> None:
    deployment = parse_deployment(
        _doc(
            {
                "mail": {
                    "kind": "imap",
                    "url": "imaps://mail.dublin.internal",
                    "master_user": "comity",
                    "password_file": "secrets/eu-ie-imap",
                    "login": "{email}",
                },
                "records": {
                    "kind": "postgresql",
                    "url": "postgresql://comity_ro@db.dublin.internal/accounts",
                    "password_file": "secrets/eu-ie-pg",
                    "queries": "sources/eu-ie.sql",
                },
                "spool": {"kind": "maildir", "root": "/srv/mail/{account}"},
            }
        ),
        base_dir=tmp_path,
        require_stores=True,
    )
    sources = region_sources(deployment.extra, "eu-ie")
    assert sorted(sources) == ["mail", "records", "spool"]
    assert sources["mail"]["password_file"] == str(tmp_path / "secrets" / "eu-ie-imap")
    assert sources["records"]["queries"] == str(tmp_path / "sources" / "eu-ie.sql")
    assert region_sources(deployment.extra, "us-west") == {}


def test_every_mistake_in_a_source_table_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as err:
        parse_deployment(
            _doc(
                {
                    "mail": {"kind": "imap", "url": "http://x", "password": "hunter2"},
                    "db": {"kind": "mysql"},
                    "spool": {"kind": "maildir", "root": "/srv/mail", "depth": 2},
                }
            ),
            base_dir=tmp_path,
            require_stores=True,
            source="comity.toml",
        )
    assert err.value.problems == [
        "comity.toml: regions.eu-ie.sources.mail: a password never stands in comity.toml; put "
        "it in a file only Comity can read and name it with password_file",
        "comity.toml: regions.eu-ie.sources.mail: imap source needs master_user",
        "comity.toml: regions.eu-ie.sources.mail: imap source needs password_file",
        "comity.toml: regions.eu-ie.sources.mail.url must be an imap:// or imaps:// URL",
        "comity.toml: regions.eu-ie.sources.db.kind 'mysql' must be one of imap, maildir, "
        "postgresql",
        "comity.toml: regions.eu-ie.sources.spool: unknown key 'depth' for a maildir source "
        "(expected root)",
        "comity.toml: regions.eu-ie.sources.spool.root must name the account with {account}, "
        "{email} or {local}",
    ]


def test_queries_are_named_parameterised_and_always_about_the_account() -> None:
    queries = parse_queries(
        "-- name: subscriber\nSELECT id, created_at AS occurred_at FROM c WHERE email = "
        "%(email)s;\n\n-- name: traffic\nSELECT id, at AS occurred_at FROM l "
        "WHERE account = %(account)s AND at >= %(start)s\n",
        "q.sql",
    )
    assert sorted(queries) == ["subscriber", "traffic"]
    assert queries["traffic"].parameters == frozenset({"account", "start"})
    assert not queries["subscriber"].sql.endswith(";")
    with pytest.raises(ConfigurationError) as err:
        parse_queries(
            "-- name: subscriber\nSELECT 1 WHERE x = %(msisdn)s\n-- name: content\nSELECT 1\n"
            "-- name: traffic\nSELECT id FROM logins\n",
            "q.sql",
        )
    assert err.value.problems == [
        "q.sql: query 'subscriber' uses parameter %(msisdn)s, which Comity does not supply (it "
        "supplies account, email, end, local, start)",
        "q.sql: query 'content' is not one of account, identification, subscriber, traffic",
        "q.sql: query 'traffic' is missing a parameter naming the account (%(email)s, "
        "%(local)s or %(account)s), so it would return every customer's rows",
    ]
    with pytest.raises(ConfigurationError, match="no '-- name: <category>' line"):
        parse_queries("SELECT 1", "q.sql")


def test_a_secret_file_is_read_only_when_no_one_else_can_read_it(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    assert read_secret(secret, "source mail password_file") == "s3cret"
    secret.chmod(0o640)
    with pytest.raises(ConfigurationError) as err:
        read_secret(secret, "source mail password_file")
    assert err.value.message == (
        f"source mail password_file: secret file {secret} is readable by group or others "
        f"(mode 0640); run 'chmod 600 {secret}'"
    )
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_secret(tmp_path / "missing", "x")


def test_hold_in_place_takes_mailbox_or_nothing(tmp_path: Path) -> None:
    imap = {
        "kind": "imap",
        "url": "imaps://mail.dublin.internal",
        "master_user": "comity",
        "password_file": "secrets/eu-ie-imap",
    }
    ok = parse_deployment(
        _doc({"mail": {**imap, "hold_in_place": "mailbox"}}), base_dir=tmp_path, require_stores=True
    )
    assert region_sources(ok.extra, "eu-ie")["mail"]["hold_in_place"] == "mailbox"
    with pytest.raises(ConfigurationError) as err:
        parse_deployment(
            _doc({"mail": {**imap, "hold_in_place": "lazy_expunge"}}),
            base_dir=tmp_path,
            require_stores=True,
        )
    assert "regions.eu-ie.sources.mail.hold_in_place must be 'mailbox'" in err.value.diagnostics()
    with pytest.raises(ConfigurationError, match="unknown key 'hold_in_place' for a maildir"):
        parse_deployment(
            _doc(
                {"spool": {"kind": "maildir", "root": "/m/{account}", "hold_in_place": "mailbox"}}
            ),
            base_dir=tmp_path,
            require_stores=True,
        )
