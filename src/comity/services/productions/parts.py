"""A region's durable production parts, on the region's side: queue, run, report, hand over
(ADR 0012).

The agent runs each part as a job in the region's own database. A part is admitted only after
every check the streaming agent makes (signature, expiry, region, the law as of now); it is run
by the region's worker, which reads and decrypts the records exactly as ``release`` does and
keeps them sealed under the region's keyring in the region's own directory; it is fetched by the
control plane through the agent, after the same checks once more, because what may be disclosed
is judged when the data leaves (see ``services.agent``). Nothing here writes plaintext to disk.

A re-run is idempotent: a part already done is not read again, and one read again yields the same
records in the same order (the store's order), so the package built from it has the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from comity.domain.authorization import SignedAuthorization
from comity.domain.records import Record
from comity.errors import ComityError, Conflict, NotFound
from comity.services.ports import Clock
from comity.services.productions.agent import LocalRegionAgent
from comity.services.productions.parts_ports import PartLedger, PartStatus, PartStore

#: Attempts before a part that keeps failing for a passing reason (its store or a live source
#: unreachable) is marked failed; the control plane's retry queues it again.
MAX_ATTEMPTS = 5
#: States in which a part needs no new job: one is queued or running, or its file is ready.
PENDING = frozenset({"queued", "running", "retrying"})


class RegionPartService:
    def __init__(
        self,
        agent: LocalRegionAgent,
        ledger: PartLedger,
        store: PartStore,
        clock: Clock,
        *,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._agent = agent
        self._ledger = ledger
        self._store = store
        self._clock = clock
        self.max_attempts = max_attempts

    @property
    def region_id(self) -> str:
        return self._agent.region_id

    def admit(self, signed: SignedAuthorization) -> tuple[PartStatus, bool]:
        """Check the authorization and say whether a job must be queued: not when the part is
        queued, running or done (its file present); yes when new or failed (a retry)."""
        auth = self._agent.admit(signed)
        current = self._ledger.get(auth.id)
        if current is not None and (
            current.state in PENDING or (current.done and self._store.exists(auth.id))
        ):
            return current, False
        queued = PartStatus(
            self.region_id,
            auth.id,
            "queued",
            attempts=current.attempts if current is not None else 0,
            reason=current.reason if current is not None else None,
            updated_at=self._clock.now(),
            expires_at=auth.expires_at,
        )
        self._ledger.put(queued)
        return queued, True

    def run(self, authorization: str, attempt: int) -> PartStatus:
        """One attempt at the part (the job's body): read, check and seal the region's records.

        A refusal (``ComityError``: the law changed, the authorization expired) fails the part at
        once; anything else (a store or source unreachable) is retried with backoff until
        ``max_attempts``, the reason shown meanwhile.
        """
        signed = SignedAuthorization.from_bytes(authorization.encode())
        auth_id = signed.authorization.id
        current = self._ledger.get(auth_id)
        if current is not None and current.done and self._store.exists(auth_id):
            return current  # idempotent: a part is sealed once
        running = PartStatus(
            self.region_id,
            auth_id,
            "running",
            attempts=attempt,
            updated_at=self._clock.now(),
            expires_at=signed.authorization.expires_at,
        )
        self._ledger.put(running)
        try:
            count, size = self._store.write(auth_id, self._agent.release(signed))
        except Exception as exc:
            final = isinstance(exc, ComityError) or attempt >= self.max_attempts
            reason = exc.message if isinstance(exc, ComityError) else f"{type(exc).__name__}: {exc}"
            self._ledger.put(
                replace(
                    running,
                    state="failed" if final else "retrying",
                    reason=reason,
                    updated_at=self._clock.now(),
                )
            )
            raise
        now = self._clock.now()
        done = replace(running, state="done", records=count, size=size, updated_at=now)
        self._ledger.put(done)
        return done

    def status(self, authorization_id: str) -> PartStatus:
        found = self._ledger.get(authorization_id)
        if found is None:
            raise NotFound(
                f"region {self.region_id} has no part of authorization {authorization_id!r}"
            )
        return found

    def fetch(self, signed: SignedAuthorization) -> Iterator[Record]:
        """A done part's records, after every check once more (the data leaves now)."""
        auth = self._agent.admit(signed)
        current = self.status(auth.id)
        if not current.done or not self._store.exists(auth.id):
            raise Conflict(
                f"region {self.region_id}'s part of authorization {auth.id} is {current.state}, "
                "not done"
            )
        return self._store.read(auth.id)

    def sweep(self, now: datetime) -> list[str]:
        """Remove the parts whose authorization expired (nothing may fetch them); their ids."""
        removed = []
        for part in self._ledger.expired(now):
            self._store.remove(part.authorization_id)
            self._ledger.remove(part.authorization_id)
            removed.append(part.authorization_id)
        return removed
