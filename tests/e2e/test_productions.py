"""End to end: a stored demand and an approved case, ``comity produce``, ``comity verify``, the
requester's download through the API, and what must be refused on the way."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.production_support import ProductionWorld, approve, build, staff, submit

from comity.adapters.package.archive import extract_canonical
from comity.adapters.package.reader import read_records
from comity.adapters.package.verify import verify_package
from comity.adapters.signing.ed25519 import PublicKey
from comity.domain.authorization import SignedAuthorization
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.domain.workflow import CaseState
from comity.entrypoints.api.app import create_app
from comity.entrypoints.cli.main import main
from comity.errors import Conflict, Forbidden, InvalidInput
from comity.services.cases import actions as cases
from comity.services.productions.ports import PackageFacts


@pytest.fixture
def pw(tmp_path: Path) -> ProductionWorld:
    return build(tmp_path / "dep")


@pytest.fixture
def api(pw: ProductionWorld) -> Iterator[TestClient]:
    with TestClient(create_app(pw.comity)) as client:
        yield client


def _comity(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    saved = sys.argv
    sys.argv = ["comity", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = saved
    out = capsys.readouterr()
    return code, out.out, out.err


def _actions(pw: ProductionWorld) -> list[str]:
    from comity.adapters.controlplane.tables import AuditEntryRow  # noqa: PLC0415

    with pw.comity.uow() as uow:
        return [r.action for r in uow.session.query(AuditEntryRow).order_by(AuditEntryRow.idx)]


def test_produce_then_verify_from_a_stored_demand_and_an_approved_case(
    pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    home = str(pw.comity.home)
    code, out, err = _comity(["--dir", home, "produce", demand_id, "--by", "admin"], capsys)
    assert code == 0, err
    with pw.comity.production_uow() as uow:
        (production,) = uow.productions.for_demand(demand_id)
        case = uow.cases.for_demand(demand_id)
    assert production.status == "published"
    assert case is not None
    assert case.state is CaseState.DELIVERED
    assert f"package: {production.path}" in out
    key = pw.comity.home / "keys" / "provider.pub.pem"
    code, out, err = _comity(["verify", production.path, "--key", str(key)], capsys)
    assert code == 0, err
    assert f"valid: package-{production.id}, 5 records for demand 13-MAG-2814" in out
    # Exactly the approved records: three messages in the period, subscriber and traffic; not
    # the message after the period, never the other account's.
    bag = extract_canonical(Path(production.path), pw.comity.home / "x")
    released = sorted((region, r.id) for region, r in read_records(bag))
    assert released == [
        ("eu-ie", "msg-acct-0001-0"),
        ("eu-ie", "msg-acct-0001-1"),
        ("eu-ie", "msg-acct-0001-2"),
        ("us-west", "login-1"),
        ("us-west", "sub-1"),
    ]
    actions = _actions(pw)
    tail = actions[actions.index("production:started") - 1 :]
    assert tail == [
        "case:start_production",
        "production:started",
        "case:deliver",
        "production:published",
    ]
    # Any byte changed anywhere makes verify fail.
    data = Path(production.path).read_bytes()
    for at in range(0, len(data), max(1, len(data) // 23)):
        tampered = bytearray(data)
        tampered[at] ^= 0x40
        bad = pw.comity.home / "bad.tar"
        bad.write_bytes(bytes(tampered))
        code, _, err = _comity(["verify", str(bad), "--key", str(key)], capsys)
        assert code == 1, at
        assert err.startswith("error: ")
    code, out, err = _comity(["--dir", home, "productions", "list", demand_id], capsys)
    assert code == 0, err
    assert production.id in out
    assert "published" in out
    again = _comity(["--dir", home, "produce", demand_id, "--by", "admin"], capsys)
    assert again[0] == 1
    assert "already produced and delivered" in again[2]


def test_a_crashed_production_resumes_with_the_same_authorization_and_bytes(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions

    def crash(region: str, records: int, size: int) -> None:
        if records == 2:
            raise KeyboardInterrupt  # as if the process were stopped half-way

    with pytest.raises(KeyboardInterrupt):
        service.produce(pw.admin, demand_id, progress=crash)
    with pw.comity.production_uow() as uow:
        (started,) = uow.productions.for_demand(demand_id)
        case = uow.cases.for_demand(demand_id)
    assert started.status == "producing"
    assert case is not None
    assert case.state is CaseState.IN_PRODUCTION
    assert not Path(started.path).exists()
    pw.clock.current += timedelta(minutes=5)
    done = service.produce(pw.admin, demand_id)
    assert (done.id, done.authorization, done.produced_at) == (
        started.id,
        started.authorization,
        started.produced_at,
    )
    # The same inputs give the same bytes: write it once more elsewhere and compare.
    signed = SignedAuthorization.from_bytes(done.authorization.encode())
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(demand_id)
    assert record is not None
    facts = PackageFacts(
        "13-MAG-2814",
        "U.S. District Court for the Southern District of New York",
        Period(date(2013, 1, 1), date(2013, 12, 4)),
        done.custodian,
        "Custodian of Records",
        "Example Mail Inc.",
        done.produced_at,
        authority_country="US",  # the issuing authority's: it chooses the certificate's form
    )
    twin = service.writer.write(
        pw.comity.home / "twin.tar",
        signed,
        facts,
        [(r, service.agents(r).release(signed)) for r in signed.authorization.regions],
    )
    assert twin.sha256 == done.sha256


def test_a_blocked_demand_refuses_to_produce_and_the_case_stays_approved(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(
        pw,
        "EMERG-1",
        instrument="us.emergency_request",
        emergency={"threat": "imminent danger to life", "verified_by": "callback"},
    )
    approve(pw, demand_id)
    with pytest.raises(Forbidden, match="awaiting a call-back"):
        pw.comity.productions.produce(pw.admin, demand_id)
    with pw.comity.production_uow() as uow:
        assert uow.productions.for_demand(demand_id) == []
        case = uow.cases.for_demand(demand_id)
    assert case is not None
    assert case.state is CaseState.APPROVED


def test_only_an_administrator_produces_and_only_an_approved_case(pw: ProductionWorld) -> None:
    demand_id = submit(pw)
    reviewer = next(u for u in _users(pw) if u.id == "rev")
    with pytest.raises(Forbidden, match="administrator"):
        pw.comity.productions.produce(reviewer, demand_id)
    with pytest.raises(Exception, match="no case or demand"):
        pw.comity.productions.produce(pw.admin, demand_id)


def test_a_narrowed_and_partly_approved_case_releases_only_what_was_approved(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    case = approve(
        pw,
        demand_id,
        withhold=frozenset({Category.TRAFFIC}),
        narrow={Category.CONTENT: (date(2013, 6, 2), date(2013, 6, 2))},
    )
    assert case.state is CaseState.PARTLY_APPROVED
    production = pw.comity.productions.produce(pw.admin, demand_id)
    bag = extract_canonical(Path(production.path), pw.comity.home / "x")
    assert [r.id for _, r in read_records(bag)] == ["msg-acct-0001-1", "sub-1"]


def test_two_accounts_in_one_region_and_a_period_per_category_produce_and_verify(
    pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14: eu-ie holds two accounts' mail and us-west one account's subscriber record
    (whole period) and traffic (narrowed): several grants per region, one package that verifies
    and holds exactly the approved records."""
    targets = [
        {"type": "email", "value": "target@example.com"},
        {"type": "email", "value": "other@example.com"},
    ]
    demand_id = submit(pw, targets=targets)
    approve(
        pw,
        demand_id,
        narrow={
            Category.CONTENT: (date(2013, 6, 1), date(2013, 6, 2)),
            Category.TRAFFIC: (date(2013, 6, 1), date(2013, 6, 1)),
        },
    )
    home = str(pw.comity.home)
    code, out, err = _comity(["--dir", home, "produce", demand_id, "--by", "admin"], capsys)
    assert code == 0, err
    with pw.comity.production_uow() as uow:
        (production,) = uow.productions.for_demand(demand_id)
        case = uow.cases.for_demand(demand_id)
    assert production.status == "published"
    assert case is not None
    assert case.state is CaseState.DELIVERED
    signed = SignedAuthorization.from_bytes(production.authorization.encode())
    grants = signed.authorization.grants
    assert len(grants) > len(signed.authorization.regions)  # several grants in one region
    key = pw.comity.home / "keys" / "provider.pub.pem"
    code, out, err = _comity(["verify", production.path, "--key", str(key)], capsys)
    assert code == 0, err
    assert "valid:" in out
    bag = extract_canonical(Path(production.path), pw.comity.home / "x")
    released = sorted((region, r.id) for region, r in read_records(bag))
    assert released == [
        ("eu-ie", "msg-acct-0001-0"),
        ("eu-ie", "msg-acct-0001-1"),
        ("eu-ie", "msg-acct-0002-1"),
        ("us-west", "login-1"),
        ("us-west", "sub-1"),
    ]
    # US process (S.D.N.Y.): the certificate follows, and names, the US form.
    certificate = next(bag.glob("certificate.txt")).read_text()
    assert "Form: us.fre-902 (Federal Rules of Evidence 902(11), 902(14) and 803(6))" in certificate


def test_the_requester_downloads_through_a_short_lived_single_agency_link(
    pw: ProductionWorld, api: TestClient
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(pw.admin, demand_id)
    listed = api.get(f"/demands/{demand_id}/productions", headers=pw.auth("dl"))
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [production.id]
    other = api.get(f"/demands/{demand_id}/productions", headers=pw.auth("frdl"))
    assert other.status_code == 404
    assert (
        api.post(f"/productions/{production.id}/links", headers=pw.auth("frdl")).status_code == 404
    )
    refused = api.post(f"/productions/{production.id}/links", headers=pw.auth("jdoe"))
    assert refused.status_code == 403
    assert "may_download" in refused.json()["error"]["message"]

    made = api.post(f"/productions/{production.id}/links", headers=pw.auth("dl"))
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["expires_at"].startswith("2026-11-23T12:15:00")
    got = api.get(link["url"], headers=pw.auth("dl"))
    assert got.status_code == 200
    assert got.content == Path(production.path).read_bytes()
    downloaded = pw.comity.home / "downloaded.tar"
    downloaded.write_bytes(got.content)
    provider = PublicKey.load(pw.comity.home / "keys" / "provider.pub.pem")
    assert verify_package(downloaded, keys=[provider]).record_count == 5

    assert api.get(link["url"], headers=pw.auth("frdl")).status_code == 404
    assert api.get(link["url"], headers=pw.auth("jdoe")).status_code == 403
    assert api.get("/downloads/dl_nonsense", headers=pw.auth("dl")).status_code == 404
    staff = api.get(link["url"], headers=pw.auth("admin"))
    assert staff.status_code == 200
    pw.clock.current += timedelta(minutes=15)
    gone = api.get(link["url"], headers=pw.auth("dl"))
    assert gone.status_code == 410
    assert "expired" in gone.json()["error"]["message"]
    actions = _actions(pw)
    assert actions.count("production:link:created") == 1
    assert actions.count("production:downloaded") == 2


def test_download_link_lifetime_is_configurable_and_validated(tmp_path: Path) -> None:
    pw = build(tmp_path / "dep", extra_toml="\n[api]\ndownload_link_minutes = 5\n")
    assert pw.comity.download_link_ttl == timedelta(minutes=5)
    bad = build(tmp_path / "bad", extra_toml="\n[api]\ndownload_link_minutes = 0\n")
    with pytest.raises(Exception, match="download_link_minutes must be a whole number"):
        _ = bad.comity.download_link_ttl


def test_a_production_encrypted_to_an_age_recipient_is_served_encrypted(
    pw: ProductionWorld, api: TestClient
) -> None:
    pyrage = pytest.importorskip("pyrage")
    identity = pyrage.x25519.Identity.generate()
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(
        pw.admin, demand_id, encrypt_to=[str(identity.to_public())]
    )
    assert production.encrypted_path is not None
    other = submit(pw, "OTHER-1")
    approve(pw, other, case_id="case-2")
    with pytest.raises(InvalidInput, match="is not an age public key"):
        pw.comity.productions.produce(pw.admin, other, encrypt_to=["age1nonsense"])
    with pw.comity.production_uow() as uow:
        assert uow.productions.for_demand(other) == []
    link = api.post(f"/productions/{production.id}/links", headers=pw.auth("dl")).json()
    got = api.get(link["url"], headers=pw.auth("dl"))
    assert got.status_code == 200
    assert pyrage.decrypt(got.content, [identity]) == Path(production.path).read_bytes()


def _users(pw: ProductionWorld) -> list[object]:
    from comity.services.identity import list_users  # noqa: PLC0415

    return list(list_users(pw.comity.intake_uow))


def test_a_second_produce_while_one_runs_conflicts(pw: ProductionWorld) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions
    seen: list[str] = []

    def nested(region: str, records: int, size: int) -> None:
        if not seen:
            seen.append(region)
            with pytest.raises(Conflict, match="another production of"):
                service.produce(pw.admin, demand_id)

    service.produce(pw.admin, demand_id, progress=nested)
    assert seen


def test_a_package_published_before_a_crash_is_verified_and_adopted_by_the_rerun(
    pw: ProductionWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt  # killed after the rename, before the last transaction

    monkeypatch.setattr(service, "_publish", crash)
    with pytest.raises(KeyboardInterrupt):
        service.produce(pw.admin, demand_id)
    monkeypatch.undo()
    with pw.comity.production_uow() as uow:
        (started,) = uow.productions.for_demand(demand_id)
    first = Path(started.path).read_bytes()
    assert started.status == "producing"
    done = service.produce(pw.admin, demand_id)
    assert done.id == started.id
    assert done.status == "published"
    assert Path(done.path).read_bytes() == first
    assert done.record_count == 5


def test_a_rerun_after_the_authorization_expired_abandons_it_and_issues_a_new_one(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions

    def crash(region: str, records: int, size: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        service.produce(pw.admin, demand_id, progress=crash)
    pw.clock.current += timedelta(hours=25)
    done = service.produce(pw.admin, demand_id)
    with pw.comity.production_uow() as uow:
        rows = {p.id: p.status for p in uow.productions.for_demand(demand_id)}
        case = uow.cases.for_demand(demand_id)
    assert sorted(rows.values()) == ["abandoned", "published"]
    assert rows[done.id] == "published"
    assert case is not None
    assert case.state is CaseState.DELIVERED
    assert "production:abandoned" in _actions(pw)


def test_a_production_that_must_stop_is_objected_to_and_a_new_approval_abandons_it(
    pw: ProductionWorld,
) -> None:
    """A case stuck in production (here a crash, then the law or facts changed) has a way back:
    an objection, a new review and approval; the unpublished package is never resumed."""
    demand_id = submit(pw)
    case = approve(pw, demand_id)
    service = pw.comity.productions

    def crash(region: str, records: int, size: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        service.produce(pw.admin, demand_id, progress=crash)
    uow, clock = pw.comity.intake_uow, pw.comity.clock
    rev, appr = staff(pw, "rev"), staff(pw, "appr")
    stopped = cases.object_to(uow, clock, rev, case.case_id, "the account's data moved regions")
    assert stopped.state is CaseState.OBJECTED
    cases.resume(uow, clock, rev, case.case_id, "re-assessed; the new placement is covered")
    cases.recommend(uow, clock, rev, case.case_id)
    cases.approve(uow, clock, appr, case.case_id)

    done = service.produce(pw.admin, demand_id)
    with pw.comity.production_uow() as tx:
        rows = {p.id: p.status for p in tx.productions.for_demand(demand_id)}
        final = tx.cases.for_demand(demand_id)
    assert sorted(rows.values()) == ["abandoned", "published"]
    assert rows[done.id] == "published"
    assert final is not None
    assert final.state is CaseState.DELIVERED
    assert "production:abandoned" in _actions(pw)


def test_an_objection_while_the_package_is_written_keeps_it_from_being_published(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    case = approve(pw, demand_id)
    service = pw.comity.productions
    rev = staff(pw, "rev")
    objected: list[bool] = []

    def a_motion_arrives(region: str, records: int, size: int) -> None:
        if records == 2 and not objected:
            objected.append(True)
            cases.object_to(
                pw.comity.intake_uow, pw.comity.clock, rev, case.case_id, "motion to quash filed"
            )

    with pytest.raises(Conflict, match=r"became objected while production .* was being written"):
        service.produce(pw.admin, demand_id, progress=a_motion_arrives)
    with pw.comity.production_uow() as tx:
        (row,) = tx.productions.for_demand(demand_id)
        final = tx.cases.for_demand(demand_id)
    assert row.status == "abandoned"
    assert not Path(row.path).exists()
    assert final is not None
    assert final.state is CaseState.OBJECTED
    # Nothing to download: the requester's list shows no production.
    assert service.list_productions(staff(pw, "jsmith"), demand_id) == []


def test_the_cli_lists_a_failed_production_with_its_reason_and_retries_it(
    pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)

    def unreadable(region: str, records: int, size: int) -> None:
        raise OSError(5, "Input/output error")

    with pytest.raises(OSError, match="Input/output error"):
        pw.comity.productions.produce(pw.admin, demand_id, progress=unreadable)
    with pw.comity.production_uow() as uow:
        (failed,) = uow.productions.for_demand(demand_id)
    home = str(pw.comity.home)
    code, out, err = _comity(["--dir", home, "productions", "list", demand_id], capsys)
    assert code == 0, err
    assert (
        f"production {failed.id} failed: OSError: [Errno 5] Input/output error; retry it with: "
        f"comity productions retry {failed.id} --by ADMIN"
    ) in out
    code, out, err = _comity(["--dir", home, "productions", "retry", failed.id], capsys)
    assert code != 0
    assert "--by" in err
    code, out, err = _comity(
        ["--dir", home, "productions", "retry", failed.id, "--by", "admin"], capsys
    )
    assert code == 0, err
    # The command line runs on the real clock, a week after this world's: the failed
    # production's authorization has expired, so the retry abandons it and publishes anew.
    with pw.comity.production_uow() as uow:
        rows = {p.id: (p.status, p.reason) for p in uow.productions.for_demand(demand_id)}
    assert rows.pop(failed.id) == (
        "abandoned",
        "its authorization expired before the package was published",
    )
    ((published, (status, _)),) = rows.items()
    assert status == "published"
    assert f"production {published} of case case-1: published" in out
    code, _, err = _comity(
        ["--dir", home, "productions", "retry", failed.id, "--by", "admin"], capsys
    )
    assert code == 1
    assert f"production {failed.id} is abandoned; only a failed production can be retried" in err


def test_produce_flags_and_comity_toml_choose_the_package_options(
    pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14 item 7: the mbox and SHA-512 are options signed into the authorization; the
    package says which were used and ``comity verify`` checks them against it."""
    demand_id = submit(pw)
    approve(pw, demand_id)
    home = pw.comity.home
    with (home / "comity.toml").open("a") as toml:
        toml.write("\n[productions]\nsha512 = true\n")
    code, _, err = _comity(
        ["--dir", str(home), "produce", demand_id, "--by", "admin", "--mbox"], capsys
    )
    assert code == 0, err
    with pw.comity.production_uow() as uow:
        (production,) = uow.productions.for_demand(demand_id)
    signed = json.loads(production.authorization)
    assert signed["authorization"]["package"] == {"mbox": True, "sha512": True}
    bag = extract_canonical(Path(production.path), home / "x")
    assert "Comity-Package-Options: mbox=yes sha512=yes\n" in (bag / "bag-info.txt").read_text()
    assert (bag / "data" / "eu-ie" / "acct-0001" / "content.mbox").exists()
    assert (bag / "manifest-sha512.txt").exists()
    key = home / "keys" / "provider.pub.pem"
    code, out, err = _comity(["verify", production.path, "--key", str(key)], capsys)
    assert code == 0, err
    assert f"valid: package-{production.id}" in out


def test_a_package_option_that_is_not_true_or_false_is_one_sentence(
    pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    home = pw.comity.home
    with (home / "comity.toml").open("a") as toml:
        toml.write('\n[productions]\nmbox = "yes"\n')
    code, _, err = _comity(["--dir", str(home), "produce", demand_id, "--by", "admin"], capsys)
    assert code != 0
    assert "productions.mbox must be true or false, got 'yes'" in err
    with pw.comity.production_uow() as uow:
        assert list(uow.productions.for_demand(demand_id)) == []


def test_the_package_mode_in_comity_toml_is_accepted_and_applied(
    pw: ProductionWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    """``[productions] package_mode`` was documented but refused as an unknown section."""
    demand_id = submit(pw)
    approve(pw, demand_id)
    home = pw.comity.home
    with (home / "comity.toml").open("a") as toml:
        toml.write('\n[productions]\npackage_mode = "0640"\n')
    code, _, err = _comity(["--dir", str(home), "produce", demand_id, "--by", "admin"], capsys)
    assert code == 0, err
    with pw.comity.production_uow() as uow:
        (production,) = uow.productions.for_demand(demand_id)
    assert Path(production.path).stat().st_mode & 0o777 == 0o640
