"""Holding in place on the provider's Dovecot: a hold also copies the account's mail into a
hidden hold mailbox on the server, with the master user, leaving the originals and their flags
as they were; a production still gives each message once; a release removes the hold mailbox;
a server that refuses the copy leaves the hold standing on its snapshot, with one clear error."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.dovecot_support import Dovecot, running_dovecot
from tests.production_support import ProductionWorld, approve
from tests.source_support import ACCOUNTS, ALICE, JUNE, build_with_sources, deliver, submit_for

from comity.adapters.package.archive import extract_canonical
from comity.adapters.package.reader import read_records
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.entrypoints.cli.main import main
from comity.services.cases import holds as case_holds
from comity.services.custody.in_place import HoldInPlaceFailed

#: Dovecot's Maildir++ layout separates folders with '.'; the hold id's '/' becomes '-'.
HOLD_BOX = "Comity Hold.case-1-hold-2"
#: A quota the account already fills: Dovecot then refuses any copy into a new mailbox.
FULL_QUOTA = """
mail_plugins = $mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_rule = *:messages=3
}
"""


@pytest.fixture
def server() -> Iterator[Dovecot]:
    with running_dovecot() as dovecot:
        dovecot.add_user(ALICE)
        yield dovecot


def _actions(pw: ProductionWorld) -> list[str]:
    from comity.adapters.controlplane.tables import AuditEntryRow  # noqa: PLC0415

    with pw.comity.uow() as uow:
        return [r.action for r in uow.session.query(AuditEntryRow).order_by(AuditEntryRow.idx)]


def _place(pw: ProductionWorld, *categories: Category) -> None:
    case_holds.place_hold(
        pw.comity.intake_uow,
        pw.clock,
        pw.comity.region_holds,
        pw.admin,
        "case-1",
        account=ACCOUNTS[ALICE],
        categories=categories or (Category.CONTENT,),
        region="eu-ie",
        basis="us.2703f",
    )


def _content(pw: ProductionWorld, demand_id: str, into: Path) -> list[Record]:
    production = pw.comity.productions.produce(pw.admin, demand_id)
    bag = extract_canonical(Path(production.path), into)
    return [r for _, r in read_records(bag) if r.category is Category.CONTENT]


def test_a_hold_in_place_keeps_a_deleted_message_on_the_server_and_it_is_produced_once(
    tmp_path: Path, server: Dovecot
) -> None:
    for n in range(1, 6):  # UIDs 1-5 in INBOX, the odd ones read
        deliver(server, ALICE, n, JUNE + timedelta(days=n), seen=n % 2 == 1)
    pw = build_with_sources(tmp_path / "dep", server, None, hold_in_place=True)
    demand_id = submit_for(pw, [ALICE])
    approve(pw, demand_id)
    flags_before = server.flags(ALICE)
    served = server.bodies(ALICE)
    _place(pw, Category.SUBSCRIBER)  # the mail server keeps no subscriber records: no copy
    assert server.folders(ALICE) == ["INBOX"]

    _place(pw)  # case-1/hold-2, on content

    assert HOLD_BOX in server.folders(ALICE)
    assert server.subscribed(ALICE) == []  # the customer's client does not show it
    assert sorted(server.mailbox_bodies(ALICE, HOLD_BOX)) == sorted(served)
    assert {k: v for k, v in server.flags(ALICE).items() if k != HOLD_BOX} == flags_before
    assert [a for a in _actions(pw) if a.startswith(("custody:snapshot", "custody:in_place"))] == [
        "custody:snapshot",  # the subscriber hold's
        "custody:snapshot",
        "custody:in_place:held",
    ]

    server.expunge(ALICE, 4)  # the customer deletes a message after the hold
    assert served[3] not in server.bodies(ALICE)
    assert served[3] in server.mailbox_bodies(ALICE, HOLD_BOX)

    content = _content(pw, demand_id, tmp_path / "x")

    # Each message once (the hold mailbox's copies are not records of their own), the deleted
    # one byte for byte as the server held it, and as its hold copy still holds it.
    assert sorted(r.id.rsplit(":", 1)[1] for r in content) == ["1", "2", "3", "4", "5"]
    assert all(":INBOX:" in r.id for r in content)
    by_uid = {r.id.rsplit(":", 1)[1]: r.body for r in content}
    assert by_uid["4"] == served[3]
    assert sorted(by_uid.values()) == sorted(served)

    case_holds.release_hold(
        pw.comity.intake_uow,
        pw.clock,
        pw.comity.region_holds,
        pw.admin,
        "case-1",
        hold_id="case-1/hold-2",
        reason="investigation closed",
    )

    assert server.folders(ALICE) == ["INBOX"]
    assert _actions(pw)[-1] == "custody:in_place:released"


def test_a_server_that_refuses_the_copy_leaves_the_hold_standing_on_its_snapshot(
    tmp_path: Path,
) -> None:
    with running_dovecot(FULL_QUOTA) as server:
        server.add_user(ALICE)
        for n in range(1, 4):
            deliver(server, ALICE, n, JUNE + timedelta(days=n))
        pw = build_with_sources(tmp_path / "dep", server, None, hold_in_place=True)
        demand_id = submit_for(pw, [ALICE])
        approve(pw, demand_id)
        served = server.bodies(ALICE)

        with pytest.raises(HoldInPlaceFailed) as refused:
            _place(pw)

        message = refused.value.message
        assert message.startswith("hold case-1/hold-1 is placed and its snapshot in Comity's store")
        assert "refused to copy alice@example.com's INBOX into hold mailbox" in message
        assert "Quota exceeded" in message
        assert len(refused.value.problems) == 1
        # The hold stands: in the case, in the region store, and on the audit log.
        with pw.comity.intake_uow() as uow:
            case = uow.cases.get("case-1")
        assert case is not None
        assert [(h.hold_id, h.released_at) for h in case.holds] == [("case-1/hold-1", None)]
        assert [m.hold_id for m in pw.comity.region_store("eu-ie").store.holds()] == [
            "case-1/hold-1"
        ]
        assert [
            a for a in _actions(pw) if a.startswith(("custody:snapshot", "custody:in_place"))
        ] == ["custody:snapshot", "custody:in_place:hold_failed"]
        assert server.folders(ALICE) == ["INBOX"]  # no half-made hold mailbox

        server.expunge(ALICE, 2)
        content = _content(pw, demand_id, tmp_path / "x")

        assert sorted(r.body for r in content) == sorted(served)


def test_the_cli_says_in_one_sentence_that_the_hold_stands_when_the_server_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_dovecot(FULL_QUOTA) as server:
        server.add_user(ALICE)
        for n in range(1, 4):
            deliver(server, ALICE, n, JUNE + timedelta(days=n))
        home = tmp_path / "dep"
        pw = build_with_sources(home, server, None, hold_in_place=True)
        approve(pw, submit_for(pw, [ALICE]))
        capsys.readouterr()

        code, out, err = _comity(
            [
                "--dir",
                str(home),
                "case",
                "hold",
                "place",
                "case-1",
                "--as",
                "admin",
                "--account",
                ACCOUNTS[ALICE],
                "--region",
                "eu-ie",
                "--category",
                "content",
            ],
            capsys,
        )

        assert code == 1
        assert out == ""
        assert len(err.strip().splitlines()) == 1, err
        assert "hold case-1/hold-1 is placed and its snapshot in Comity's store" in err
        assert "Quota exceeded" in err
        code, out, err = _comity(["--dir", str(home), "case", "show", "case-1"], capsys)
        assert code == 0, err
        assert "case-1/hold-1" in out


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
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_release_the_server_refuses_is_released_in_comity_and_says_to_delete_by_hand(
    tmp_path: Path, server: Dovecot
) -> None:
    for n in range(1, 3):
        deliver(server, ALICE, n, JUNE + timedelta(days=n))
    pw = build_with_sources(tmp_path / "dep", server, None, hold_in_place=True)
    approve(pw, submit_for(pw, [ALICE]))
    _place(pw)
    server.stop()  # the server is gone when the hold ends

    with pytest.raises(HoldInPlaceFailed) as refused:
        case_holds.release_hold(
            pw.comity.intake_uow,
            pw.clock,
            pw.comity.region_holds,
            pw.admin,
            "case-1",
            hold_id="case-1/hold-1",
            reason="investigation closed",
        )

    message = refused.value.message
    assert message.startswith("hold case-1/hold-1 is released, but source mail")
    assert message.endswith("; delete the hold mailbox on the server by hand")
    assert len(refused.value.problems) == 1
    (marker,) = pw.comity.region_store("eu-ie").store.holds()
    assert marker.released_at is not None  # released in the region's store all the same
    assert _actions(pw)[-1] == "custody:in_place:release_failed"
