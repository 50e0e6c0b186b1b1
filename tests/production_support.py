"""A deployment with two regions, a registry, mail in custody, a signed demand and an approved
case, for the production tests. Cases are built with the pure workflow and stored with
``record_opening``/``record_step`` (the case service is another branch's work)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.domain.demand_schema import parse_demand
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import (
    SYSTEM,
    Actor,
    Case,
    DecisionKind,
    FindingRef,
    Pathway,
    Period,
    WorkflowRole,
    new_case_for_demand,
)
from comity.law.countries import known_countries
from comity.services import identity
from comity.services.accounts import create_account
from comity.services.assessment.stored import with_recorded_verification
from comity.services.cases.steps import record_opening, record_step
from comity.services.custody.ingest import ingest
from comity.services.intake import demands
from tests.conftest import FixedClock
from tests.intake_support import World, demand_doc, populate, sign

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TOML = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE", "GB"]

[control_plane]
database = "sqlite:///control.db"

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
"""
REVIEWER = Actor(id="rev", roles=frozenset({WorkflowRole.REVIEWER}))
APPROVER = Actor(id="appr", roles=frozenset({WorkflowRole.APPROVER}))
TARGET = "target@example.com"


@dataclass
class ProductionWorld:
    comity: Comity
    world: World
    clock: FixedClock
    admin: User
    downloader: User

    def auth(self, user_id: str) -> dict[str, str]:
        return self.world.auth(user_id)


def with_keyrings(toml: str, keyrings: dict[str, str]) -> str:
    """``toml`` with ``keyring = URL`` added to each named region's table."""
    for region, url in keyrings.items():
        table = f"[regions.{region}]\n"
        assert table in toml, region
        toml = toml.replace(table, f'{table}keyring = "{url}"\n')
    return toml


def deployment(
    home: Path,
    clock: FixedClock,
    extra_toml: str = "",
    toml: str = TOML,
    keyrings: dict[str, str] | None = None,
) -> Comity:
    home.mkdir(parents=True, exist_ok=True)
    (home / "comity.toml").write_text(with_keyrings(toml, keyrings or {}) + extra_toml)
    comity = open_deployment(home, clock)
    comity.ensure_audit_key()
    comity.migrate()
    comity.prepare_regions()
    return comity


def message(n: int, account: str, when: datetime) -> Record:
    body = (
        f"From: Sender {n} <s{n}@example.org>\r\nTo: {account}@example.com\r\n"
        f"Subject: message {n}\r\nMessage-ID: <{n}.{account}@example.org>\r\n\r\n"
        f"Hello {n}.\r\nFrom here on, a line mbox must quote.\r\n"
    ).encode()
    return Record(f"msg-{account}-{n}", account, Category.CONTENT, when, body, MEDIA_TYPE_MESSAGE)


def put_records(comity: Comity, account: str, records: Iterable[Record]) -> None:
    listed = list(records)
    ingest(
        comity.uow,
        comity.region_store,
        account,
        lambda: listed,
        kind="test",
        source="test",
        actor="test",
        clock=comity.clock,
    )


def add_account(comity: Comity, account_id: str, email: str) -> None:
    create_account(
        comity.uow,
        Account(
            account_id,
            (Selector("email", email),),
            "eu-ie",
            {Category.SUBSCRIBER: "us-west", Category.TRAFFIC: "us-west"},
        ),
        actor="test",
        clock=comity.clock,
    )


def build(
    home: Path,
    clock: FixedClock | None = None,
    extra_toml: str = "",
    toml: str = TOML,
    keyrings: dict[str, str] | None = None,
) -> ProductionWorld:
    """The world of the production tests; ``toml`` replaces the deployment file (PostgreSQL
    stores for the multi-host test), ``keyrings`` gives regions another keyring than their key
    file (an HSM)."""
    clock = clock or FixedClock(NOW)
    comity = deployment(home, clock, extra_toml, toml, keyrings)
    world = populate(comity)
    admin = identity.list_users(comity.intake_uow)
    admin_user = next(u for u in admin if u.id == "admin")
    downloader = User("dl", "D Loader", "dl@dea.gov", agency_id="us-dea", may_download=True)
    identity.create_user(comity.intake_uow, clock, downloader, actor="test")
    frdl = User("frdl", "F", "frdl@interieur.gouv.fr", agency_id="fr-police", may_download=True)
    identity.create_user(comity.intake_uow, clock, frdl, actor="test")
    for user_id in ("dl", "frdl"):
        world.tokens[user_id] = identity.issue_token(
            comity.intake_uow, clock, user_id, label="t", actor="t"
        )
    world.tokens["frdl"] = identity.issue_token(
        comity.intake_uow, clock, "frdl", label="t", actor="t"
    )
    add_account(comity, "acct-0001", TARGET)
    add_account(comity, "acct-0002", "other@example.com")
    june = datetime(2013, 6, 1, 9, 30, tzinfo=UTC)
    put_records(
        comity,
        "acct-0001",
        [
            *(message(i, "acct-0001", june + timedelta(days=i)) for i in range(3)),
            message(99, "acct-0001", datetime(2014, 3, 1, tzinfo=UTC)),  # after the period
            Record.of_fields(
                "sub-1", "acct-0001", Category.SUBSCRIBER, june, {"name": "Target Person"}
            ),
            Record.of_fields(
                "login-1",
                "acct-0001",
                Category.TRAFFIC,
                june,
                {"event": "login", "ip": "192.0.2.1"},
            ),
        ],
    )
    put_records(comity, "acct-0002", [message(1, "acct-0002", june)])
    return ProductionWorld(comity, world, clock, admin_user, downloader)


def submit(pw: ProductionWorld, reference: str = "13-MAG-2814", **changes: Any) -> str:
    doc = demand_doc(reference, categories=["subscriber", "traffic", "content"], **changes)
    body = json.dumps(doc).encode()
    jsmith = identity.authenticate(pw.comity.intake_uow, pw.world.tokens["jsmith"])
    record, _ = demands.submit_demand(
        pw.comity.intake_uow,
        pw.clock,
        jsmith,
        demands.Submission(body, signature=sign(pw.world.dea_key, "dea-2026", body)),
        known_countries=known_countries(),
    )
    return record.id


def findings_now(pw: ProductionWorld, demand_id: str) -> list[FindingRef]:
    """The law engine's findings for the stored demand as of the clock's day, as the case sees
    them."""
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(demand_id)
    assert record is not None
    demand, problems = parse_demand(record.document, known_countries=known_countries())
    assert demand is not None, problems
    answer = pw.comity.assessor.assess(
        with_recorded_verification(demand, record), pw.clock.now().date()
    )
    return [
        FindingRef(
            target=f.target.value,
            category=f.category,
            region=f.region,
            data_country=f.data_country,
            pathway=f.pathway,
        )
        for f in answer.findings
    ]


def approve(
    pw: ProductionWorld,
    demand_id: str,
    *,
    withhold: frozenset[Category] = frozenset(),
    narrow: dict[Category, tuple[date, date]] | None = None,
    case_id: str = "case-1",
) -> Case:
    """Open, assess, decide (produce unless withheld or narrowed), recommend and approve."""
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(demand_id)
    assert record is not None
    demand, _ = parse_demand(record.document, known_countries=known_countries())
    assert demand is not None
    now = pw.clock.now()
    findings = findings_now(pw, demand_id)
    with pw.comity.intake_uow() as uow:
        case = record_opening(
            uow,
            new_case_for_demand(demand, case_id=case_id, zone="America/New_York", now=now),
            demand_id=demand_id,
            at=now,
        )
        case = record_step(uow, case.assess(findings, SYSTEM, now), now)
        case = record_step(uow, case.start_review(REVIEWER, now), now)
        for f in findings:
            if f.pathway is Pathway.NO_DATA:
                continue
            if f.category in withhold:
                step = case.decide(f.key, DecisionKind.WITHHOLD, REVIEWER, now, justification="no")
            elif narrow and f.category in narrow:
                start, end = narrow[f.category]
                step = case.decide(
                    f.key,
                    DecisionKind.NARROW,
                    REVIEWER,
                    now,
                    period=Period(start=start, end=end),
                    justification="narrower",
                )
            else:
                step = case.decide(
                    f.key, DecisionKind.PRODUCE, REVIEWER, now, justification="approved"
                )
            case = record_step(uow, step, now)
        case = record_step(uow, case.recommend(REVIEWER, now), now)
        case = record_step(uow, case.approve(APPROVER, now), now)
        uow.commit()
    return case


def staff(pw: ProductionWorld, user_id: str) -> User:
    user = identity.authenticate(pw.comity.intake_uow, pw.world.tokens[user_id])
    assert user.has(frozenset(StaffRole)) or not user.is_staff
    return user
