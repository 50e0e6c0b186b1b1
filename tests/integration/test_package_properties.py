"""Property tests: any change to a package is caught; random mail in, only authorized mail out."""

from __future__ import annotations

import itertools
import mailbox
import re
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.packaging import (
    CONTROL_PLANE_KEY,
    PRODUCED_AT,
    PROVIDER_KEY,
    archive,
    authorization,
    produce,
    reseal,
    reseal_payload,
    sample_records,
)

from comity.adapters.package import layout
from comity.adapters.package.archive import extract_canonical
from comity.adapters.package.reader import read_records
from comity.adapters.package.verify import verify_package
from comity.adapters.signing.authorizations import verify_authorization
from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.authorization import Authorization, RegionGrant, SignedAuthorization
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.errors import IntegrityError
from comity.services.accounts import create_account
from comity.services.custody.ingest import ingest
from comity.services.productions.agent import LocalRegionAgent
from comity.services.productions.ports import LawAnswer

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("pkg") / "package.tar"
    return produce(out, sample_records()).read_bytes()


def _rejects(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "package.tar"
        path.write_bytes(data)
        with pytest.raises(IntegrityError) as caught:
            verify_package(path, keys=[PROVIDER_KEY.public])
    message = caught.value.message
    assert message
    assert "\n" not in message
    return message


@SETTINGS
@given(data=st.data())
def test_any_byte_changed_removed_or_added_is_detected(
    original: bytes, data: st.DataObject
) -> None:
    size = len(original)
    kind = data.draw(st.sampled_from(["flip", "set", "remove", "insert", "append", "truncate"]))
    at = data.draw(st.integers(0, size - 1))
    tampered = bytearray(original)
    if kind == "flip":
        tampered[at] ^= 1 << data.draw(st.integers(0, 7))
    elif kind == "set":
        value = data.draw(st.integers(0, 255).filter(lambda v: v != original[at]))
        tampered[at] = value
    elif kind == "remove":
        del tampered[at : at + data.draw(st.integers(1, 600))]
    elif kind == "insert":
        tampered[at:at] = data.draw(st.binary(min_size=1, max_size=600))
    elif kind == "append":
        tampered += data.draw(st.binary(min_size=1, max_size=600))
    else:
        del tampered[at:]
    _rejects(bytes(tampered))


@SETTINGS
@given(data=st.data())
def test_any_file_changed_removed_or_added_is_detected_and_named(
    original: bytes, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "package.tar"
        source.write_bytes(original)
        bag = extract_canonical(source, Path(tmp) / "x")
        files = sorted(p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file())
        kind = data.draw(st.sampled_from(["change", "remove", "add", "empty"]))
        name = data.draw(st.sampled_from(files))
        target = bag / name
        if kind == "change":
            content = bytearray(target.read_bytes())
            at = data.draw(st.integers(0, len(content) - 1))
            content[at] ^= 1 << data.draw(st.integers(0, 7))
            target.write_bytes(bytes(content))
        elif kind == "remove":
            target.unlink()
        elif kind == "empty":
            target.write_bytes(b"")
        else:
            folder = data.draw(st.sampled_from(["", "data/", "data/eu-ie/acct-0001/content/"]))
            name = folder + data.draw(st.from_regex(r"[a-z]{1,8}\.(eml|txt|json)", fullmatch=True))
            if (bag / name).exists():
                return
            (bag / name).write_bytes(data.draw(st.binary(max_size=50)))
        out = Path(tmp) / "changed.tar"
        archive(bag, out)
        message = _rejects(out.read_bytes())
    assert Path(name).name in message or "signature" in message, message


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_package_changed_and_re_signed_by_its_signer_is_rejected_cleanly_or_still_valid(
    original: bytes, data: st.DataObject
) -> None:
    """Even with valid signatures, a verifier facing a hostile package never crashes: it answers
    valid or names a problem (IntegrityError), nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "package.tar"
        source.write_bytes(original)
        bag = extract_canonical(source, Path(tmp) / "x")
        files = sorted(
            p.relative_to(bag).as_posix()
            for p in bag.rglob("*")
            if p.is_file() and not p.name.startswith("tagmanifest-")
        )
        name = data.draw(st.sampled_from(files))
        content = bytearray((bag / name).read_bytes())
        if data.draw(st.booleans()) and content:
            at = data.draw(st.integers(0, len(content) - 1))
            content[at] = data.draw(st.integers(0, 255))
        else:
            content = bytearray(data.draw(st.binary(max_size=80)))
        (bag / name).write_bytes(bytes(content))
        resealed = reseal_payload(bag, Path(tmp) / "resealed.tar")
        problem: IntegrityError | None = None
        try:
            verify_package(resealed)
        except IntegrityError as exc:
            problem = exc
        if problem is not None:
            assert problem.message
            assert "\n" not in problem.message


# Random mail and random authorized subsets.

REGIONS = ("eu-ie", "us-west", "ap-sydney")
ACCOUNTS = ("acct-a", "acct-b", "acct-c")
START = datetime(2012, 1, 1, tzinfo=UTC)

_line = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
    st.sampled_from([b"From me", b">From you", b">>From them", b"From", b"", b"From x\r"]),
)


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    headers = b"From: someone@example.org\r\nSubject: test\r\n\r\n"
    lines = draw(st.lists(_line, max_size=8))
    ending = draw(st.sampled_from([b"\r\n", b"\n"]))
    body = ending.join(lines)
    if draw(st.booleans()):
        body += ending
    return headers + body


_fields = st.dictionaries(
    st.text("abcdefghij_", min_size=1, max_size=6),
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=12)),
    max_size=4,
)


@st.composite
def mail_records(draw: st.DrawFn) -> list[tuple[str, Record]]:
    count = draw(st.integers(0, 14))
    out = []
    for n in range(count):
        region = draw(st.sampled_from(REGIONS))
        account = draw(st.sampled_from(ACCOUNTS))
        category = draw(st.sampled_from(list(Category)))
        when = START + timedelta(seconds=draw(st.integers(0, 3 * 365 * 86400)))
        if category is Category.CONTENT:
            record = Record(f"m{n}", account, category, when, draw(messages()), MEDIA_TYPE_MESSAGE)
        else:
            record = Record.of_fields(f"r{n}", account, category, when, draw(_fields))
        out.append((region, record))
    return out


@st.composite
def grants(draw: st.DrawFn) -> list[RegionGrant]:
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True))
    result = []
    for region in regions:
        start = date(2012, 1, 1) + timedelta(days=draw(st.integers(0, 800)))
        end = start + timedelta(days=draw(st.integers(0, 800)))
        result.append(
            RegionGrant(
                region,
                tuple(draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, unique=True))),
                tuple(draw(st.lists(st.sampled_from(list(Category)), min_size=1, unique=True))),
                Period(start, end),
            )
        )
    return result


def grouped(records: list[tuple[str, Record]]) -> list[tuple[str, list[Record]]]:
    by_region: dict[str, list[Record]] = defaultdict(list)
    for region, record in records:
        by_region[region].append(record)
    return list(by_region.items())


@settings(max_examples=30, deadline=None)
@given(records=mail_records(), subset=grants())
def test_package_holds_exactly_the_authorized_records_and_verify_rejects_any_other(
    records: list[tuple[str, Record]], subset: list[RegionGrant]
) -> None:
    signed = authorization(subset)
    auth = signed.authorization
    inside = [
        (region, r)
        for region, r in records
        if auth.refusal(region, r.account_id, r.category, r.occurred_at) is None
    ]
    outside = [(region, r) for region, r in records if (region, r) not in inside]
    with tempfile.TemporaryDirectory() as tmp:
        package = produce(Path(tmp) / "p.tar", grouped(inside), signed)
        assert verify_package(package).record_count == len(inside)
        bag = extract_canonical(package, Path(tmp) / "x")
        assert list(read_records(bag)) == [
            (region, r) for region, group in grouped(inside) for r in group
        ]
        for (region, account), bodies in _content_by_mbox(inside).items():
            box = mailbox.mbox(str(bag / layout.mbox_path(region, account)), create=False)
            stored = [re.sub(rb"(?m)^>(>*From )", rb"\1", box.get_bytes(k)) for k in box.iterkeys()]
            assert [s.rstrip(b"\n") for s in stored] == [b.rstrip(b"\n") for b in bodies]
        if not outside:
            return
        # A provider that signs a package holding records beyond the authorization is caught.
        everything = authorization(_covering(records))
        wide = produce(Path(tmp) / "wide.tar", grouped(records), everything)
        wide_bag = extract_canonical(wide, Path(tmp) / "w")
        (wide_bag / layout.AUTHORIZATION).write_bytes(signed.to_bytes())
        resealed = reseal(wide_bag, Path(tmp) / "resealed.tar")
        with pytest.raises(IntegrityError, match="lies outside the authorization"):
            verify_package(resealed, keys=[PROVIDER_KEY.public])


def _content_by_mbox(records: list[tuple[str, Record]]) -> dict[tuple[str, str], list[bytes]]:
    out: dict[tuple[str, str], list[bytes]] = defaultdict(list)
    for region, group in grouped(records):
        for r in group:
            if r.category is Category.CONTENT:
                out[(region, r.account_id)].append(r.body)
    return out


def _covering(records: list[tuple[str, Record]]) -> list[RegionGrant]:
    regions = sorted({region for region, _ in records})
    return [
        RegionGrant(region, ACCOUNTS, tuple(Category), Period(date(2011, 1, 1), date(2016, 1, 1)))
        for region in regions
    ]


# The same round trip through custody and the regional agents: random mail is ingested (sealed
# in each account's regions), a random subset is authorized, the agents release it and the
# package holds exactly that subset, byte for byte.

CUSTODY_TOML = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "AU"]

[control_plane]
database = "sqlite:///control.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.ap-sydney]
country = "AU"
store = "sqlite:///regions/ap-sydney.db"
"""


class _Permissive:
    """A law engine that still says "disclose" for everything an authorization grants, so this
    test isolates the scope of what leaves a region (the re-check has its own tests)."""

    def __init__(self) -> None:
        self.auth: Authorization | None = None

    def answer(self, demand_id: str, now: datetime) -> LawAnswer:
        assert self.auth is not None
        pathways = {
            (a, c.value, g.region): "disclose"
            for g in self.auth.grants
            for a in g.accounts
            for c in g.categories
        }
        return LawAnswer(pathways, None, now.date().isoformat())


@pytest.fixture(scope="module")
def custody(tmp_path_factory: pytest.TempPathFactory) -> Comity:
    home = tmp_path_factory.mktemp("custody")
    (home / "comity.toml").write_text(CUSTODY_TOML)
    comity = open_deployment(home)
    comity.migrate()
    comity.prepare_regions()
    return comity


_examples = itertools.count()
CATEGORIES = list(Category)


@st.composite
def custody_accounts(draw: st.DrawFn) -> list[tuple[Account, list[Record]]]:
    n = next(_examples)
    out = []
    for i in range(draw(st.integers(1, 3))):
        account_id = f"x{n}-{i}"
        placement = {c: draw(st.sampled_from(REGIONS)) for c in Category}
        account = Account(
            account_id,
            (Selector("email", f"{account_id}@example.com"),),
            placement[Category.CONTENT],
            placement,
        )
        records = []
        for k in range(draw(st.integers(0, 6))):
            category = draw(st.sampled_from(list(Category)))
            when = START + timedelta(seconds=draw(st.integers(0, 3 * 365 * 86400)))
            rid = f"{account_id}-r{k}"
            if category is Category.CONTENT:
                records.append(
                    Record(rid, account_id, category, when, draw(messages()), MEDIA_TYPE_MESSAGE)
                )
            else:
                records.append(Record.of_fields(rid, account_id, category, when, draw(_fields)))
        out.append((account, records))
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_agents_release_exactly_the_authorized_ingested_records(
    custody: Comity, data: st.DataObject
) -> None:
    accounts = data.draw(custody_accounts())
    _ingest(custody, accounts)
    ids = [a.id for a, _ in accounts] + ["nobody"]
    regions = data.draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True))
    chosen = []
    for region in regions:
        start = date(2012, 1, 1) + timedelta(days=data.draw(st.integers(0, 800)))
        end = start + timedelta(days=data.draw(st.integers(0, 800)))
        chosen.append(
            RegionGrant(
                region,
                tuple(data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))),
                tuple(
                    data.draw(st.lists(st.sampled_from(list(Category)), min_size=1, unique=True))
                ),
                Period(start, end),
            )
        )
    _assert_agents_release_exactly(custody, accounts, chosen)


def _ingest(custody: Comity, accounts: list[tuple[Account, list[Record]]]) -> None:
    for account, records in accounts:
        create_account(custody.uow, account, actor="test", clock=custody.clock)
        ingest(
            custody.uow,
            custody.region_store,
            account.id,
            lambda records=records: records,  # type: ignore[misc]
            kind="test",
            source="test",
            actor="test",
            clock=custody.clock,
        )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_number_of_grants_per_region_account_category_and_period_release_exactly_them(
    custody: Comity, data: st.DataObject
) -> None:
    """Issue 14: several grants in one region (two accounts, one account with a period per
    category, overlapping periods, an unlimited one) are one group per region, and the package
    holds exactly the records some grant covers, byte for byte, each once."""
    accounts = data.draw(custody_accounts())
    _ingest(custody, accounts)
    ids = [a.id for a, _ in accounts] + ["nobody"]
    chosen: dict[str, RegionGrant] = {}
    for _ in range(data.draw(st.integers(1, 6))):
        period = None
        if data.draw(st.booleans()):
            start = date(2012, 1, 1) + timedelta(days=data.draw(st.integers(0, 1000)))
            period = Period(start, start + timedelta(days=data.draw(st.integers(0, 600))))
        g = RegionGrant(
            data.draw(st.sampled_from(REGIONS)),
            tuple(data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))),
            tuple(data.draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True))),
            period,
        )
        chosen[repr(g.to_document())] = g
    _assert_agents_release_exactly(custody, accounts, list(chosen.values()))


def _assert_agents_release_exactly(
    custody: Comity, accounts: list[tuple[Account, list[Record]]], chosen: list[RegionGrant]
) -> None:
    signed = authorization(chosen)
    auth = signed.authorization
    law = _Permissive()
    law.auth = auth
    clock = type("Clock", (), {"now": staticmethod(lambda: PRODUCED_AT)})()

    def verify(s: SignedAuthorization, now: datetime, region: str) -> Authorization:
        return verify_authorization(s, [CONTROL_PLANE_KEY.public], now=now, region=region)

    agents = {
        r: LocalRegionAgent(custody.region_store(r), verify, law, clock) for r in auth.regions
    }
    expected = {
        (account.region_for(r.category), r.id): r
        for account, records in accounts
        for r in records
        if auth.refusal(account.region_for(r.category), r.account_id, r.category, r.occurred_at)
        is None
    }
    with tempfile.TemporaryDirectory() as tmp:
        package = produce(
            Path(tmp) / "p.tar", [(r, agents[r].release(signed)) for r in auth.regions], signed
        )
        bag = extract_canonical(package, Path(tmp) / "x")
        released = {(region, r.id): r for region, r in read_records(bag)}
    assert released.keys() == expected.keys()
    for key, record in released.items():
        want = expected[key]
        assert (record.body, record.account_id, record.category) == (
            want.body,
            want.account_id,
            want.category,
        )
        assert record.occurred_at == want.occurred_at
    # Each account's records come oldest first, whichever grants they came through.
    order: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for (region, _), record in released.items():
        order[(region, record.account_id)].append((record.occurred_at, record.id))
    for times in order.values():
        assert times == sorted(times)
