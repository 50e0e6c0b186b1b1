"""Issue 16's design gap closed (ADR 0014): a preservation hold goes through the region's agent.

The region eu-ie lives on its own host: its agent (``comity agent``, mutual TLS) holds the
Dovecot master password, the region's key and its store; the control plane's directory holds none
of them, and its ``comity.toml`` names no source at all, only the agent's URL. Placing a hold
through the control plane's CLI has the agent take the snapshot and copy into the hidden hold
mailbox; a message the customer deletes afterwards is still produced, from the agent's snapshot;
releasing the hold removes the hold mailbox. A client without the control plane's certificate,
an agent that is down, one presenting another region's certificate, and a source that cannot be
read each refuse the hold in one sentence, and neither the case nor the region records a hold.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.agent_support import make_pki
from tests.dovecot_support import Dovecot, running_dovecot
from tests.hold_support import place_instruction
from tests.ports_support import session_ports
from tests.production_support import ProductionWorld, approve
from tests.regions_support import AgentHost, comity_command
from tests.source_support import ACCOUNTS, ALICE, JUNE, build_with_sources, deliver, submit_for

from comity.adapters.package.archive import extract_canonical
from comity.adapters.package.reader import read_records
from comity.adapters.signing.hold_instructions import sign_hold_instruction
from comity.bootstrap import open_deployment
from comity.domain.accounts import Selector
from comity.domain.audit import digest
from comity.domain.categories import Category

#: The agent's loopback port: free, and this session's own (``ports_support``).
(AGENT_PORT,) = session_ports(1)
HOLD_BOX = "Comity Hold.case-1-hold-1"


@dataclass
class TwoHosts:
    pw: ProductionWorld
    control: Path
    agent: AgentHost
    server: Dovecot
    demand_id: str

    def cli(self, *args: str) -> tuple[int, str, str]:
        import subprocess  # noqa: PLC0415

        done = subprocess.run(
            [*comity_command(self.control), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    def place(
        self, account: str = ACCOUNTS[ALICE], region: str = "eu-ie", *cats: str
    ) -> tuple[int, str, str]:
        categories = [a for c in cats or ("content",) for a in ("--category", c)]
        return self.cli(
            "case", "hold", "place", "case-1", "--as", "admin", "--account", account,
            "--region", region, *categories,
        )  # fmt: skip

    def holds(self) -> list[str]:
        with open_deployment(self.control).intake_uow() as uow:
            case = uow.cases.get("case-1")
        assert case is not None
        return [h.hold_id for h in case.holds]

    def audit(self, prefix: str) -> list[dict[str, str]]:
        """The control plane's audit entries whose action starts with ``prefix``, in order."""
        from comity.adapters.controlplane.tables import AuditEntryRow  # noqa: PLC0415

        with open_deployment(self.control).uow() as uow:
            rows = uow.session.query(AuditEntryRow).order_by(AuditEntryRow.idx)
            entries = [json.loads(r.entry) for r in rows if r.action.startswith(prefix)]
        return [e for e in entries if isinstance(e, dict)]

    def snapshot_document(self) -> dict[str, object]:
        """What the agent's store holds for the hold, as the ``custody:snapshot`` payload:
        read on the region's host (the test may; the control plane cannot)."""
        region = open_deployment(self.agent.home).region_store("eu-ie")
        with open_deployment(self.control).intake_uow() as uow:
            case = uow.cases.get("case-1")
        assert case is not None
        placed = case.holds[0].placed_at
        records = [
            {"id": r.id, "sha256": hashlib.sha256(r.body).hexdigest()}
            for r in region.read(ACCOUNTS[ALICE], [Category.CONTENT])
        ]
        return {
            "hold": "case-1/hold-1",
            "region": "eu-ie",
            "account": ACCOUNTS[ALICE],
            "taken_at": placed.isoformat(),
            "counts": {"mail": len(records)},
            "records": records,
        }


def _split(pw: ProductionWorld, control: Path, agent_home: Path) -> None:
    """Move what is eu-ie's to its own host: the source's secret file, the region's key and its
    store go to ``agent_home``; the control plane keeps its database and a ``comity.toml`` that
    names no source, only the agent."""
    for region in ("eu-ie", "us-west"):
        pw.comity.region_store(region).store.engine.dispose()  # written out, closed
    pw.comity.engine.dispose()
    toml = (control / "comity.toml").read_text()
    head, _, sources = toml.partition("[regions.eu-ie.sources.mail]")
    assert sources, "the world's eu-ie reads a Dovecot source"
    (agent_home / "keys").mkdir(parents=True)
    (agent_home / "regions").mkdir()
    shutil.move(control / "secrets", agent_home / "secrets")
    shutil.move(control / "keys" / "eu-ie.key", agent_home / "keys" / "eu-ie.key")
    shutil.copy2(control / "keys" / "control-plane.pub.pem", agent_home / "keys")
    shutil.move(control / "regions" / "eu-ie.db", agent_home / "regions" / "eu-ie.db")
    database = f'database = "sqlite:///{control / "control.db"}"'
    (agent_home / "comity.toml").write_text(
        toml.replace('database = "sqlite:///control.db"', database)
    )
    for name in ("ca.pem", "agent-eu-ie.pem"):
        (agent_home / "pki").mkdir(exist_ok=True)
        shutil.copy2(control / "pki" / name, agent_home / "pki" / name)
    (agent_home / "keys" / "pki").mkdir(mode=0o700)
    shutil.move(control / "keys" / "pki" / "agent-eu-ie.key", agent_home / "keys" / "pki")
    # The control plane: no source table, eu-ie's store where no file is (never opened), and
    # the agent's URL.
    (control / "comity.toml").write_text(
        head.replace('"sqlite:///regions/eu-ie.db"', '"sqlite:///not-here/eu-ie.db"')
        + f'\n[agents.eu-ie]\nurl = "https://127.0.0.1:{AGENT_PORT}"\n'
    )


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[TwoHosts]:
    with running_dovecot() as server:
        server.add_user(ALICE)
        for n in range(1, 6):  # UIDs 1-5 in INBOX
            deliver(server, ALICE, n, JUNE + timedelta(days=n), seen=n % 2 == 1)
        control = tmp_path / "control-plane"
        pw = build_with_sources(control, server, None, hold_in_place=True)
        pw.clock.current = datetime.now(UTC)  # the CLI and the agent read the system clock
        demand_id = submit_for(pw, [ALICE])
        approve(pw, demand_id)
        pw.comity.signing_keys()
        make_pki(pw.comity, "eu-ie")
        agent_home = tmp_path / "agent-eu-ie"
        _split(pw, control, agent_home)
        tls = open_deployment(control).control_plane_tls("eu-ie")
        agent = AgentHost("eu-ie", agent_home, AGENT_PORT, tls=tls)
        agent.start()
        try:
            yield TwoHosts(pw, control, agent, server, demand_id)
        finally:
            agent.stop()


def test_a_hold_through_the_agent_keeps_a_deleted_message_and_its_release_drops_the_box(
    hosts: TwoHosts, tmp_path: Path
) -> None:
    control = hosts.control
    assert not (control / "secrets").exists()
    assert not (control / "regions" / "eu-ie.db").exists()
    assert "sources" not in (control / "comity.toml").read_text()
    assert not (control / "keys" / "eu-ie.key").exists()
    served = hosts.server.bodies(ALICE)

    code, out, err = hosts.place()

    assert code == 0, out + err
    assert out.startswith("case-1/hold-1: acct-0101 content in eu-ie until ")
    assert hosts.holds() == ["case-1/hold-1"]
    assert sorted(hosts.server.mailbox_bodies(ALICE, HOLD_BOX)) == sorted(served)
    # The control plane audits what the agent reported: each record's id and SHA-256, as the
    # region's store holds them (the snapshot the agent took, in its own store).
    expected = hosts.snapshot_document()
    records = expected["records"]
    assert isinstance(records, list)
    assert sorted(r["sha256"] for r in records) == sorted(
        hashlib.sha256(b).hexdigest() for b in served
    )
    (snapshot,) = hosts.audit("custody:snapshot")
    assert snapshot["subject"] == "hold/case-1/hold-1"
    assert snapshot["digest"] == digest(expected)
    assert [e["action"] for e in hosts.audit("custody:in_place")] == ["custody:in_place:held"]

    hosts.server.expunge(ALICE, 4)  # the customer deletes a message after the hold
    code, out, err = hosts.cli("produce", "case-1", "--by", "admin")
    assert code == 0, out + err

    production = open_deployment(control).productions.list_productions(
        hosts.pw.admin, hosts.demand_id
    )[-1]
    bag = extract_canonical(Path(production.path), tmp_path / "bag")
    content = {
        r.id.rsplit(":", 1)[1]: r for _, r in read_records(bag) if r.category is Category.CONTENT
    }
    assert sorted(content) == ["1", "2", "3", "4", "5"]
    assert content["4"].body == served[3]
    assert "preservation snapshot" in (content["4"].warning or "")

    code, out, err = hosts.cli(
        "case", "hold", "release", "case-1", "case-1/hold-1", "--as", "admin",
        "--reason", "investigation closed",
    )  # fmt: skip

    assert code == 0, out + err
    assert hosts.server.folders(ALICE) == ["INBOX"]
    assert [e["action"] for e in hosts.audit("custody:in_place")] == [
        "custody:in_place:held",
        "custody:in_place:released",
    ]


def test_an_agent_down_another_regions_agent_or_an_unreadable_source_refuses_the_hold(
    hosts: TwoHosts,
) -> None:
    control = hosts.control
    # A well-signed instruction from a client without the control plane's certificate: 403.
    comity = open_deployment(control)
    signed = sign_hold_instruction(
        place_instruction(
            datetime.now(UTC),
            id="hin-bare",
            account_id=ACCOUNTS[ALICE],
            selectors=(Selector("email", ALICE),),
            expires_at=None,
            issuer="someone",
        ),
        comity.control_plane_key,
    )
    bare = ssl.create_default_context(cafile=str(control / "pki" / "ca.pem"))
    bare.check_hostname = False
    with httpx.Client(verify=bare, timeout=30) as client:
        answer = client.post(f"{hosts.agent.url}/holds", content=signed.to_bytes())
    assert answer.status_code == 403, answer.text
    assert "the client presented no certificate" in answer.json()["error"]["message"]

    toml = (control / "comity.toml").read_text()
    # us-west's agent, as far as this control plane knows, is eu-ie's: its certificate says so.
    (control / "comity.toml").write_text(
        toml + f'\n[agents.us-west]\nurl = "https://127.0.0.1:{AGENT_PORT}"\n'
    )
    code, out, err = hosts.place("acct-0001", "us-west", "subscriber")
    assert code != 0, err
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "presented a certificate naming region:eu-ie, not the agent of region us-west" in err

    (control / "comity.toml").write_text(toml)
    hosts.server.stop()  # the source cannot be read: no snapshot, so no hold
    code, out, err = hosts.place()
    assert code != 0, err
    assert len(err.strip().splitlines()) == 1, err
    assert "the agent of region eu-ie refused: source mail" in err

    hosts.agent.stop()
    code, out, err = hosts.place()
    assert code != 0, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"the agent of region eu-ie at https://127.0.0.1:{AGENT_PORT}" in err
    assert "nothing was held or released" in err

    assert hosts.holds() == []
    assert hosts.audit("custody:snapshot") == hosts.audit("custody:in_place") == []
    # Nothing marked in the region either: a hold that could not copy is not placed there.
    assert open_deployment(hosts.agent.home).region_store("eu-ie").store.holds() == []
