"""Benchmark: the law engine's throughput against raw Cedar on the same requests.

Assesses a realistic mix of demands until 100,000 (target, category, region) findings are made,
timing each demand's assessment; then, in the same run, evaluates the very same Cedar requests
with ``cedarpy.is_authorized_batch`` on pre-parsed handles (policies, schema, entities), one batch
per demand. Comity memoises identical decision inputs, so its throughput can exceed raw Cedar's.

Run: .venv/bin/python bench/assess.py [--findings N] [--seed S] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import cedarpy

from comity.domain.accounts import Account, AccountKind, Selector
from comity.domain.categories import ALL_CATEGORIES, Category
from comity.domain.demand import Demand, Emergency, IssuingAuthority, Offence, Target
from comity.domain.deployment import Deployment, Entity, Provider, Region
from comity.law.engine import LawEngine

REGIONS = (
    Region("us-west", "US"),
    Region("eu-ie", "IE"),
    Region("eu-de", "DE"),
    Region("uk-lon", "GB"),
    Region("au-syd", "AU"),
)
DEPLOYMENT = Deployment(
    Provider(
        "Example Mail Inc.",
        "US",
        ("US", "IE", "DE", "BE", "GB", "AU", "CA", "BR", "FR"),
        (Entity("IE", "Example Mail Ireland Ltd", ("eu_designated_establishment",)),),
    ),
    REGIONS,
)
# (weight, issuer country, kind, forum, instrument): roughly a large provider's incoming mix.
MIX = [
    (25, "US", "court", "us.nysd", "us.warrant"),
    (10, "US", "court", "us.cand", "us.warrant"),
    (20, "US", "prosecutor", None, "us.subpoena"),
    (8, "US", "court", "us.paed", "us.2703d_order"),
    (6, "US", "agency", None, "us.preservation"),
    (3, "US", "police", None, "us.emergency_request"),
    (8, "DE", "court", None, "eu.epoc"),
    (4, "FR", "prosecutor", None, "eu.epoc"),
    (5, "GB", "court", None, "uk.opo"),
    (2, "AU", "judge", None, "au.ipo"),
    (3, "BR", "court", None, "br.judicial_requisition"),
    (2, "BE", "investigating_judge", None, "be.order_88bis"),
    (2, "CA", "judge", None, "ca.production_order"),
    (2, "JP", "court", None, "xx.domestic_order"),
]
COUNTRIES = ("US", "IE", "DE", "GB", "AU", "FR", "BR", "unknown")


def make_accounts(rng: random.Random, n: int) -> list[Account]:
    out = []
    for i in range(n):
        home = rng.choice(REGIONS).id
        placement = {c: rng.choice(REGIONS).id for c in ALL_CATEGORIES if rng.random() < 0.3}
        # Providers rarely know where a customer lives or whether they are a US person.
        residence = rng.choice(COUNTRIES) if rng.random() < 0.4 else "unknown"
        us_person = rng.choice([True, False]) if rng.random() < 0.4 else None
        out.append(
            Account(
                f"acct-{i:05d}",
                (Selector("email", f"user{i}@mail.example"),),
                home,
                placement,
                residence,
                residence,
                us_person,
                AccountKind.ENTERPRISE if rng.random() < 0.05 else AccountKind.CONSUMER,
            )
        )
    return out


def make_demand(rng: random.Random, i: int, accounts: list[Account]) -> Demand:
    _, country, kind, forum, instrument = rng.choices(MIX, weights=[m[0] for m in MIX])[0]
    day = date(2012, 1, 1) + timedelta(
        days=rng.randrange((date(2026, 11, 20) - date(2012, 1, 1)).days)
    )
    targets = [
        Target(rng.choice(accounts).selectors[0])
        if rng.random() < 0.95
        else Target(Selector("email", f"nobody{i}@mail.example"))
        for _ in range(rng.choice([1, 1, 1, 2, 3, 5]))
    ]
    cats = tuple(sorted(rng.sample(list(Category), rng.choice([1, 2, 3, 4]))))
    return Demand(
        reference=f"D-{i}",
        received_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        issuing_authority=IssuingAuthority(country, kind, "authority", forum),
        instrument=instrument,
        categories=cats,
        targets=tuple(dict.fromkeys(targets)),
        # Only European and CLOUD Act agreement orders state the maximum sentence.
        offence=Offence("offence", rng.choice([2, 5, 10]), country)
        if instrument in ("eu.epoc", "uk.opo", "au.ipo")
        else None,
        emergency=Emergency("threat", "callback") if instrument == "us.emergency_request" else None,
    )


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(findings_goal: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    accounts = make_accounts(rng, 2000)
    by_sel = {a.selectors[0]: a for a in accounts}
    demands: list[Demand] = []
    total = 0
    while total < findings_goal:
        d = make_demand(rng, len(demands), accounts)
        demands.append(d)
        total += len(d.targets) * len(d.categories)

    engine = LawEngine.load()
    days = [d.received_at.date() for d in demands]

    # Comity: full assessments, memo starting empty.
    latencies = []
    made = 0
    start = time.perf_counter()
    for d, day in zip(demands, days, strict=True):
        t0 = time.perf_counter()
        made += len(engine.assess(d, DEPLOYMENT, by_sel, day).findings)
        latencies.append(time.perf_counter() - t0)
    comity_s = time.perf_counter() - start

    # Raw Cedar: the same requests, one batch per demand, on pre-parsed handles (the policy set
    # and each demand's entities are parsed before timing starts).
    batches = []
    for d, day in zip(demands, days, strict=True):
        ents, reqs = engine.cedar_requests(engine.decision_inputs(d, DEPLOYMENT, by_sel, day))
        if reqs:
            batches.append((cedarpy.Entities.from_json_str(json.dumps(ents)), reqs))
    requests = sum(len(r) for _, r in batches)
    policies = engine.pack.policies
    start = time.perf_counter()
    for handle, reqs in batches:
        cedarpy.is_authorized_batch(reqs, policies, handle)
    raw_s = time.perf_counter() - start

    comity_rate = made / comity_s
    raw_rate = requests / raw_s
    return {
        "demands": len(demands),
        "findings": made,
        "cedar_requests": requests,
        "distinct_decision_inputs": len(engine._memo),
        "comity_seconds": round(comity_s, 2),
        "comity_findings_per_s": round(comity_rate),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "raw_seconds": round(raw_s, 2),
        "raw_requests_per_s": round(raw_rate),
        "ratio": round(comity_rate / raw_rate, 2),
    }


SECTION = "## Assessment"


def write_section(path: Path, result: dict[str, object], command: str) -> None:
    body = f"""{SECTION}

Measured by `bench/assess.py` (law engine). Command:

```
{command}
```

Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, cedarpy
{version("cedarpy")}; run on {date.today().isoformat()} (shared machine, other work running).

A seeded mix of {result["demands"]} demands (US warrants, subpoenas, 2703(d) orders,
preservation and emergency requests, EPOCs, UK OPOs, AU IPOs, BR/BE/CA direct orders, other
domestic orders; received 2023-2026; 1-5 targets and 1-4 categories each) against 2,000
synthetic accounts in five regions.

| measure | value |
|---|---|
| findings made | {result["findings"]} |
| Comity throughput | {result["comity_findings_per_s"]} findings/s ({result["comity_seconds"]} s) |
| per-demand latency p50 / p99 | {result["p50_ms"]} ms / {result["p99_ms"]} ms |
| raw `cedarpy.is_authorized_batch`, same {result["cedar_requests"]} requests, \
pre-parsed handles | {result["raw_requests_per_s"]} requests/s ({result["raw_seconds"]} s) |
| ratio Comity / raw Cedar (goal >= 1.0) | **{result["ratio"]}** |
| distinct decision inputs evaluated by Comity | {result["distinct_decision_inputs"]} |

Comity evaluates each distinct decision input (authority, account attributes, category, data
country, instrument and date-derived context) once and reuses the decision, and it batches a
demand's new inputs into one Cedar call; raw Cedar evaluates every request. Unmatched targets
(no_data) make findings without Cedar requests.
"""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if SECTION in text:
        head, _, rest = text.partition(SECTION)
        nxt = rest.find("\n## ")
        text = head + body + (rest[nxt + 1 :] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.findings, args.seed)
    print(json.dumps(result, indent=2))
    if args.write:
        cmd = (
            f".venv/bin/python bench/assess.py --findings {args.findings} --seed {args.seed}"
            f" --write {args.write}"
        )
        write_section(args.write, result, cmd)


if __name__ == "__main__":
    main()
