"""One contract for every regional store backend: SQLite files and real PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comity.adapters.regions.keyring_file import FileKeyring
from comity.adapters.regions.postgres import PostgresRegionStore
from comity.adapters.regions.sql_store import SqlRegionStore
from comity.adapters.regions.sqlite import SqliteRegionStore
from comity.adapters.regions.vault import RegionVault
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.errors import ConfigurationError, Conflict, IntegrityError
from comity.services.custody.ports import HoldMarker

T0 = datetime(2013, 12, 4, 9, 0, tzinfo=UTC)


def _record(n: int, account: str = "acct-1", category: Category = Category.CONTENT) -> Record:
    body = f"Subject: message {n}\r\n\r\nbody {n} \u00e9\r\n".encode()
    return Record(
        f"r-{account}-{category}-{n:04d}",
        account,
        category,
        T0 + timedelta(days=n),
        body,
        MEDIA_TYPE_MESSAGE,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'region.db'}"
    return str(request.getfixturevalue("pg_url"))


def _store(url: str, region: str = "eu-ie") -> SqlRegionStore:
    if url.startswith("sqlite:///"):
        return SqliteRegionStore(region, Path(url[len("sqlite:///") :]))
    return PostgresRegionStore(region, url)


@pytest.fixture
def vault(store_url: str, tmp_path: Path) -> Iterator[RegionVault]:
    store = _store(store_url)
    v = RegionVault("eu-ie", store, FileKeyring("eu-ie", tmp_path / "keys" / "eu-ie.key"))
    assert v.prepare() == ["store", "key"]
    yield v
    store.engine.dispose()


def _write(vault: RegionVault, records: list[Record]) -> int:
    with vault.store.writer() as writer:
        for r in records:
            writer.put(vault.seal(r))
    return writer.inserted


def test_records_round_trip_exactly_and_come_back_oldest_first(vault: RegionVault) -> None:
    records = [_record(n) for n in (3, 1, 2)]
    assert _write(vault, records) == 3
    back = list(vault.read("acct-1"))
    assert [r.id for r in back] == [_record(n).id for n in (1, 2, 3)]
    assert {r.id: r.body for r in back} == {r.id: r.body for r in records}
    assert back[0].occurred_at == T0 + timedelta(days=1)


def test_ciphertext_at_rest_does_not_contain_the_plaintext(vault: RegionVault) -> None:
    _write(vault, [_record(1)])
    sealed = vault.store.get(_record(1).id)
    assert sealed is not None
    assert b"message 1" not in sealed.ciphertext
    assert sealed.size == len(_record(1).body)


def test_reads_filter_by_account_category_and_period(vault: RegionVault) -> None:
    _write(vault, [_record(n) for n in range(10)])
    _write(vault, [_record(n, category=Category.TRAFFIC) for n in range(5)])
    _write(vault, [_record(n, account="acct-2") for n in range(4)])
    assert vault.store.count("acct-1") == 15
    assert vault.store.count("acct-1", Category.TRAFFIC) == 5
    in_period = list(
        vault.read("acct-1", [Category.CONTENT], T0 + timedelta(days=2), T0 + timedelta(days=5))
    )
    assert [r.id for r in in_period] == [_record(n).id for n in (2, 3, 4)]
    assert {r.account_id for r in vault.read("acct-2")} == {"acct-2"}
    assert list(vault.read("nobody")) == []


def test_rewriting_the_same_ids_does_not_duplicate(vault: RegionVault) -> None:
    assert _write(vault, [_record(n) for n in range(5)]) == 5
    assert _write(vault, [_record(n) for n in range(7)]) == 2
    assert vault.store.count("acct-1") == 7


def test_a_failed_write_leaves_nothing_behind(vault: RegionVault) -> None:
    def crash_mid_ingest() -> None:
        with vault.store.writer() as writer:
            for n in range(1200):  # more than one batch is flushed before the failure
                writer.put(vault.seal(_record(n)))
            raise RuntimeError("crash mid-ingest")

    with pytest.raises(RuntimeError):
        crash_mid_ingest()
    assert vault.store.count("acct-1") == 0


def test_delete_removes_only_the_named_categories(vault: RegionVault) -> None:
    _write(vault, [_record(n) for n in range(3)])
    _write(vault, [_record(n, category=Category.TRAFFIC) for n in range(2)])
    assert vault.store.delete("acct-1", [Category.CONTENT]) == 3
    assert [r.category for r in vault.read("acct-1")] == [Category.TRAFFIC] * 2


def test_reads_stream_many_records(vault: RegionVault) -> None:
    _write(vault, [_record(n) for n in range(1500)])
    stream = vault.read("acct-1")
    assert next(stream).id == _record(0).id
    assert sum(1 for _ in stream) == 1499


def test_rotation_rewraps_keys_and_keeps_content_bytes(vault: RegionVault) -> None:
    records = [_record(n) for n in range(700)]
    _write(vault, records)
    before = {s.id: s for s in vault.store.read("acct-1")}
    version, rewrapped = vault.rotate_key(batch=300)
    assert (version, rewrapped) == (2, 700)
    after = {s.id: s for s in vault.store.read("acct-1")}
    assert all(after[i].ciphertext == before[i].ciphertext for i in before)
    assert all(after[i].nonce == before[i].nonce for i in before)
    assert all(after[i].key_version == 2 != before[i].key_version for i in before)
    assert all(after[i].wrapped_key != before[i].wrapped_key for i in before)
    assert [r.body for r in vault.read("acct-1")] == [r.body for r in records]
    # Records written before rotation but not yet re-wrapped still open under the old version.
    _write(vault, [_record(1000)])
    assert vault.open(before[records[0].id]).body == records[0].body


def test_a_store_of_another_region_is_refused(store_url: str, vault: RegionVault) -> None:
    other = _store(store_url, region="us-west")
    with pytest.raises(ConfigurationError, match="belongs to region eu-ie"):
        list(other.read("acct-1"))
    other.engine.dispose()


# --- preservation holds (issue 6): the region itself refuses to delete what a hold covers ----


def _hold(hold_id: str = "case-1/hold-1", **changes: object) -> HoldMarker:
    values: dict[str, object] = {
        "hold_id": hold_id,
        "case_id": "case-1",
        "account_id": "acct-1",
        "categories": (Category.CONTENT,),
        "placed_at": T0,
        "expires_at": T0 + timedelta(days=90),
        "released_at": None,
    }
    values.update(changes)
    return HoldMarker(**values)  # type: ignore[arg-type]


def test_a_hold_marker_round_trips_and_is_replaced_by_id(vault: RegionVault) -> None:
    assert vault.store.holds() == []
    vault.store.set_hold(_hold())
    assert vault.store.holds("acct-1") == [_hold()]
    released = _hold(released_at=T0 + timedelta(days=3))
    vault.store.set_hold(released)
    assert vault.store.holds() == [released]
    assert vault.store.holds("acct-2") == []


def test_a_held_category_cannot_be_deleted_and_nothing_is_removed(vault: RegionVault) -> None:
    _write(vault, [_record(n) for n in range(3)])
    _write(vault, [_record(n, category=Category.TRAFFIC) for n in range(2)])
    vault.store.set_hold(_hold())
    during = T0 + timedelta(days=10)
    with pytest.raises(Conflict, match=r"hold case-1/hold-1 \(case case-1\) until"):
        vault.store.delete("acct-1", [Category.CONTENT, Category.TRAFFIC], now=during)
    assert vault.store.count("acct-1") == 5
    # Another category, or another account, is not held.
    assert vault.store.delete("acct-1", [Category.TRAFFIC], now=during) == 2
    # After the hold expires (the expiry instant is already out), deletion goes through.
    assert vault.store.delete("acct-1", [Category.CONTENT], now=T0 + timedelta(days=90)) == 3


def test_a_released_hold_no_longer_blocks_deletion(vault: RegionVault) -> None:
    _write(vault, [_record(1)])
    vault.store.set_hold(_hold(released_at=T0 + timedelta(days=1)))
    with pytest.raises(Conflict):
        vault.store.delete("acct-1", [Category.CONTENT], now=T0 + timedelta(hours=1))
    assert vault.store.delete("acct-1", [Category.CONTENT], now=T0 + timedelta(days=2)) == 1


def test_a_users_deletion_hides_held_records_and_keeps_their_bytes(vault: RegionVault) -> None:
    _write(vault, [_record(n) for n in range(3)])
    _write(vault, [_record(n, category=Category.TRAFFIC) for n in range(2)])
    before = {s.id: s.ciphertext for s in vault.store.read("acct-1", [Category.CONTENT])}
    vault.store.set_hold(_hold())
    now = T0 + timedelta(days=5)
    assert vault.store.hide("acct-1", [Category.CONTENT, Category.TRAFFIC], now) == (3, 2)
    assert list(vault.store.read("acct-1")) == []  # the user no longer sees them
    kept = list(vault.store.read("acct-1", include_deleted=True))
    assert {s.id: s.ciphertext for s in kept} == before  # every byte is still there
    assert all(s.deleted_at == now for s in kept)
    # One record at a time, too; hiding again changes nothing.
    assert vault.store.hide("acct-1", [Category.CONTENT], now, [_record(1).id]) == (0, 0)


def test_a_held_record_is_never_overwritten(vault: RegionVault) -> None:
    _write(vault, [_record(1)])
    vault.store.set_hold(_hold())
    original = vault.store.get(_record(1).id)
    changed = Record(_record(1).id, "acct-1", Category.CONTENT, T0, b"rewritten", "text/plain")
    assert _write(vault, [changed]) == 0
    assert vault.store.get(_record(1).id) == original


def test_the_mbox_envelope_line_is_kept_sealed_and_comes_back_exactly(vault: RegionVault) -> None:
    """Issue 14 item 5: the ``From `` line a message was ingested with is stored, encrypted
    like the body, so a package's mbox can give it back."""
    envelope = b"From sender@example.com  Wed Dec  4 09:00:00 2013 remote from example"
    with_line = replace(_record(1), envelope=envelope)
    _write(vault, [with_line, _record(2)])
    sealed = vault.store.get(with_line.id)
    assert sealed is not None
    assert sealed.envelope is not None
    assert b"sender@example.com" not in sealed.envelope
    back = {r.id: r for r in vault.read("acct-1")}
    assert back[with_line.id] == with_line
    assert back[_record(2).id].envelope is None


def test_a_sealed_envelope_moved_to_another_record_fails_to_decrypt(vault: RegionVault) -> None:
    one = replace(_record(1), envelope=b"From a@example.com Wed Dec  4 09:00:00 2013")
    two = replace(_record(2), envelope=b"From b@example.com Wed Dec  4 09:00:00 2013")
    _write(vault, [one, two])
    sealed_one, sealed_two = vault.store.get(one.id), vault.store.get(two.id)
    assert sealed_one is not None
    assert sealed_two is not None
    with pytest.raises(IntegrityError, match="failed to decrypt"):
        vault.open(replace(sealed_two, envelope=sealed_one.envelope))
    # The body's ciphertext can never be opened as the envelope, nor the envelope as the body.
    with pytest.raises(IntegrityError, match="failed to decrypt"):
        vault.open(replace(sealed_one, envelope=sealed_one.nonce + sealed_one.ciphertext))


def test_a_store_made_before_envelope_lines_gets_the_column(store_url: str, tmp_path: Path) -> None:
    store = _store(store_url)
    vault = RegionVault("eu-ie", store, FileKeyring("eu-ie", tmp_path / "keys" / "eu-ie.key"))
    vault.prepare()
    _write(vault, [_record(1)])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE records DROP COLUMN envelope")
    store.engine.dispose()
    reopened = _store(store_url)
    old = RegionVault("eu-ie", reopened, FileKeyring("eu-ie", tmp_path / "keys" / "eu-ie.key"))
    assert [r.envelope for r in old.read("acct-1")] == [None]
    line = b"From x@example.com Wed Dec  4 09:00:00 2013"
    _write(old, [replace(_record(2), envelope=line)])
    assert [r.envelope for r in old.read("acct-1")] == [None, line]
    reopened.engine.dispose()
