"""An in-memory regional agent for service tests: no store, no keys, no HTTP, the same contract.

It holds plain records in a list, but checks what every agent checks, in the same order and with
the same errors: the authorization's signature, expiry and region (the verifier), the law as of
now (``check_law_now``), and then yields exactly the granted records: per account in the
authorization's order, oldest first, each record once, and only those whose account, category
and time the authorization covers. ``tests/integration/test_agent_contract.py`` holds it to that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from comity.domain.authorization import Authorization, SignedAuthorization
from comity.domain.records import Record
from comity.services.ports import Clock
from comity.services.productions.agent import check_law_now
from comity.services.productions.ports import AuthorizationVerifier, LawRecheck


class InMemoryRegionAgent:
    def __init__(
        self,
        region_id: str,
        records: Iterable[Record],
        verify: AuthorizationVerifier,
        law: LawRecheck,
        clock: Clock,
    ) -> None:
        self._region_id = region_id
        self._records = sorted(records, key=lambda r: (r.occurred_at, r.id))
        self._verify = verify
        self._law = law
        self._clock = clock

    @property
    def region_id(self) -> str:
        return self._region_id

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        now = self._clock.now()
        auth = self._verify(signed, now, self._region_id)
        check_law_now(self._law, auth, self._region_id, now)
        return iter(self._granted(auth))

    def _granted(self, auth: Authorization) -> list[Record]:
        out: list[Record] = []
        for account in auth.accounts_in(self._region_id):
            seen: set[str] = set()
            for record in self._records:
                if record.account_id != account or record.id in seen:
                    continue
                refusal = auth.refusal(
                    self._region_id, record.account_id, record.category, record.occurred_at
                )
                if refusal is None:
                    seen.add(record.id)
                    out.append(record)
        return out
