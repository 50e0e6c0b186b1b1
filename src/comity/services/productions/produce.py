"""Producing an approved case, and delivering the package: the use cases behind ``comity
produce``, the requester API's productions and downloads, and the console.

The flow (docs/productions.md):

1. issue the authorization from the approved case (``domain.productions.authorize_case``) and have
   the control plane sign it;
2. ask every region's agent to release under it: each checks the signature, the expiry, its
   region and the law as of now *before* the case moves, so a refusal leaves the case approved;
3. in one transaction: the case moves to ``in_production``, the production row is stored with the
   signed authorization and its fixed ``produced_at``, and both go on the audit log;
4. the records stream from the agents into the package writer, which publishes by rename;
5. in one transaction: the production becomes ``published`` with its digest, the case moves to
   ``delivered`` (the package is then available to the requester; see docs/productions.md for
   why delivery is the publication and not the first download), both on the audit log.

A re-run after a crash between 3 and 5 finds the ``producing`` row and resumes with the same
authorization and time, so the package has the same bytes; a package already published by rename
before the crash is verified and adopted.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from comity.domain import permissions
from comity.domain.accounts import SELECTOR_TYPES, Selector
from comity.domain.audit import AuditAction, AuditEvent, canonical_json
from comity.domain.authorization import Authorization, PackageOptions, SignedAuthorization
from comity.domain.case.transitions import Action as CaseAction
from comity.domain.demand import Demand
from comity.domain.demand_schema import parse_demand
from comity.domain.productions import DEFAULT_VALIDITY, authorize_case
from comity.domain.records import Record
from comity.domain.registry import HANDLERS, User
from comity.domain.workflow import Case, CaseState
from comity.errors import (
    ComityError,
    ConfigurationError,
    Conflict,
    Forbidden,
    Gone,
    IntegrityError,
    NotFound,
    collect,
)
from comity.services.cases.actions import deliver_in, start_production_in
from comity.services.identity import require
from comity.services.intake.demands import visible_demand
from comity.services.ports import Clock
from comity.services.productions.parts_ports import IN_PROCESS, UNREACHABLE, PartStatus, RegionParts
from comity.services.productions.ports import (
    DownloadLink,
    PackageFacts,
    PackageWriter,
    Production,
    ProductionClaim,
    ProductionUnitOfWork,
    ProductionUowFactory,
    RegionAgent,
    WrittenPackage,
)

DEFAULT_LINK_TTL = timedelta(minutes=15)
#: A claim whose holder cannot be asked (another host) is stale after this long without a
#: heartbeat; a running production refreshes it every ``CLAIM_HEARTBEAT`` while records arrive.
DEFAULT_CLAIM_LEASE = timedelta(minutes=10)
CLAIM_HEARTBEAT = timedelta(seconds=30)
CLAIM_POLL = 1.0  # seconds between two tries for a claim when waiting
#: Productions a re-run continues: one interrupted (``producing``) or one that failed.
RESUMABLE = frozenset({"producing", "failed"})
LINK_PREFIX = "dl_"
CUSTODIAN_TITLE = "Custodian of Records"

#: Called as records arrive: (region, records so far, bytes so far).
Progress = Callable[[str, int, int], None]
#: Called while durable parts run, with every region's part status at each look.
PartsProgress = Callable[[list[PartStatus]], None]
#: Seconds between two looks at the regions' parts while they run, at most: the looks start
#: ``FIRST_PART_POLL`` after queueing and double up to this (``part_poll_intervals``). Each look
#: is one short HTTPS request per region; a part done is seen within this long.
PART_POLL = 0.5
#: The first wait after queueing. A small part is done in tens of milliseconds, and a fixed
#: one-second wait was most of a small production over two agents (bench/regions.py: 1.4 s
#: against 0.2 s in-process, docs/benchmarks.md).
FIRST_PART_POLL = 0.05


class ClaimLost(Conflict):
    """This run's claim on the case was taken over (it was silent past the lease)."""


def hash_link_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class ProductionService:
    """Productions and their delivery, wired by ``Comity.productions``."""

    uow: ProductionUowFactory
    clock: Clock
    agents: Callable[[str], RegionAgent]
    sign: Callable[[Authorization], SignedAuthorization]
    writer: PackageWriter
    provider: str
    issuer: str
    out_dir: Path
    known_countries: frozenset[str]
    link_ttl: timedelta = DEFAULT_LINK_TTL
    validity: timedelta = DEFAULT_VALIDITY
    #: The package options new authorizations carry unless ``produce`` is given others
    #: (``[productions] mbox``/``sha512`` in comity.toml).
    package_options: PackageOptions = field(default_factory=PackageOptions)
    #: Called with each production once published and committed: writes the package's log proof.
    on_published: Callable[[Production], None] | None = None
    #: This process as a claim names it (host, pid), and whether a claim's holder still runs:
    #: True or False when that can be known (this host), None when not (another host).
    process: Callable[[], tuple[str, int]] = lambda: ("unknown", 0)
    alive: Callable[[str, int], bool | None] = lambda _host, _pid: None
    sleep: Callable[[float], None] = time.sleep
    claim_lease: timedelta = DEFAULT_CLAIM_LEASE
    #: A region's durable parts (its agent's job queue, ADR 0012), or None where the region is
    #: read in one stream (in-process, or an agent without a queue).
    parts: Callable[[str], RegionParts | None] = lambda _region: None
    part_poll: float = PART_POLL
    on_parts: PartsProgress | None = None
    #: Read-only units of work for what only reads (a production, a demand's list, checking a
    #: download link): on SQLite they take no write lock, so a stream of reads, or of bad
    #: download tokens, neither waits for nor delays the writers. None reads through ``uow``.
    read: ProductionUowFactory | None = None

    @property
    def _read(self) -> ProductionUowFactory:
        return self.read or self.uow

    # --- producing -----------------------------------------------------------------------

    def produce(
        self,
        actor: User,
        case_or_demand_id: str,
        *,
        out_dir: Path | None = None,
        encrypt_to: list[str] | None = None,
        progress: Progress | None = None,
        wait: float = 0.0,
        options: PackageOptions | None = None,
    ) -> Production:
        """Produce the case (or the demand's case) and publish its package; see the module doc.

        ``options`` (the mbox copy, the SHA-512 manifest) go into a new authorization; a
        production resumed under its earlier authorization keeps that one's.

        One production per case runs at a time, across processes and hosts: the case is claimed
        in the control-plane database first, and a second run waits up to ``wait`` seconds for
        the claim, then refuses naming the running production.
        """
        permissions.check(actor, CaseAction.START_PRODUCTION)
        if encrypt_to:
            self.writer.check_recipients(encrypt_to)  # before anything moves
        with self.uow() as uow:
            case, _ = _find_case(uow, case_or_demand_id)
        claim = self._claim(actor, case.case_id, wait)
        try:
            # What killed runs left in staging (decrypted mail) goes before anything is read.
            self.writer.sweep(out_dir or self.out_dir)
            return self._produce_claimed(
                actor,
                case.case_id,
                claim,
                out_dir or self.out_dir,
                encrypt_to,
                progress,
                options or self.package_options,
            )
        finally:
            with self.uow() as uow:
                uow.productions.release_claim(claim.case_id, claim.token)
                uow.commit()

    def _produce_claimed(  # noqa: PLR0917 (the claim and produce's options)
        self,
        actor: User,
        case_id: str,
        claim: ProductionClaim,
        out_dir: Path,
        encrypt_to: list[str] | None,
        progress: Progress | None,
        options: PackageOptions,
    ) -> Production:
        production, demand, signed = self._start(
            actor, case_id, out_dir, claim.production_id, options
        )
        claim = self._heartbeat(replace(claim, production_id=production.id), force=True)
        facts = package_facts(demand, production, self.provider)
        path = Path(production.path)
        beat = _Beat(self, claim)
        try:
            if path.exists():
                written = self.writer.inspect(path)
                if written.authorization_id != signed.authorization.id:
                    raise Conflict(
                        f"{path} holds the package of authorization {written.authorization_id}, "
                        f"not {signed.authorization.id}; move it away and re-run"
                    )
            else:
                queued = self._queue_parts(actor, production, signed)
                if queued:
                    self._await_parts(signed, queued, beat)
                streams = self._open_regions(signed, queued)
                written = self.writer.write(path, signed, facts, _counted(streams, progress, beat))
            encrypted = None
            if encrypt_to:
                encrypted = path.with_name(path.name + ".age")
                if not encrypted.exists():
                    self.writer.encrypt(path, encrypt_to, encrypted)
        except ClaimLost:
            raise  # the production is another run's now: its state is that run's to set
        except Exception as exc:
            self._fail(actor, production, exc)
            raise
        finally:
            self.writer.clean(path)
        published = self._publish(actor, production, written, encrypted)
        if self.on_published is not None:
            self.on_published(published)
        return published

    def retry(
        self,
        actor: User,
        production_id: str,
        *,
        encrypt_to: list[str] | None = None,
        progress: Progress | None = None,
        wait: float = 0.0,
    ) -> Production:
        """Run a failed production again: the same authorization and time while it is valid
        (the same bytes), else a new one (see ``_start``)."""
        permissions.check(actor, CaseAction.START_PRODUCTION)
        production = self.get(actor, production_id)
        if production.status != "failed":
            raise Conflict(
                f"production {production_id} is {production.status}; only a failed production "
                "can be retried"
            )
        return self.produce(
            actor, production.case_id, encrypt_to=encrypt_to, progress=progress, wait=wait
        )

    # --- one production per case: the claim -------------------------------------------------

    def _claim(self, actor: User, case_id: str, wait: float) -> ProductionClaim:
        """Claim the case in the control-plane database, waiting up to ``wait`` seconds.

        A claim whose holder is gone (a process on this host that no longer runs, or any holder
        silent for ``claim_lease``) is taken over, on the audit log; a live one is waited for or
        refused with its production's id.
        """
        attempts = max(1, math.ceil(wait / CLAIM_POLL) + 1) if wait > 0 else 1
        host, pid = self.process()
        held: ProductionClaim | None = None
        for attempt in range(attempts):
            if attempt:
                self.sleep(CLAIM_POLL)
            now = self.clock.now()
            with self.uow() as uow:
                # The claim names the production from the start: the one a re-run resumes, else
                # the id a new one will have, so a refused run can say which production runs.
                resumable = [
                    p.id for p in uow.productions.for_case(case_id) if p.status in RESUMABLE
                ]
                production_id = resumable[-1] if resumable else _new_production_id()
                mine = ProductionClaim(
                    case_id, secrets.token_hex(16), host, pid, now, now, production_id
                )
                held = uow.productions.claim(mine)
                if held is None:
                    uow.commit()
                    return mine
                if self._gone(held, now) and uow.productions.take_over(held.token, mine):
                    uow.audit.record(
                        AuditEvent.of(
                            now,
                            actor.id,
                            AuditAction.PRODUCTION_CLAIM_TAKEN_OVER,
                            f"case/{case_id}",
                            {
                                "production": held.production_id,
                                "host": held.host,
                                "pid": held.pid,
                                "heartbeat_at": held.heartbeat_at.isoformat(),
                            },
                        )
                    )
                    uow.commit()
                    return mine
        assert held is not None
        raise Conflict(
            f"another production of case {case_id} is running: {held.describe()}; "
            "wait for it (--wait SECONDS) or run produce again when it ends"
        )

    def _gone(self, held: ProductionClaim, now: datetime) -> bool:
        alive = self.alive(held.host, held.pid)
        if alive is False:
            return True
        return alive is None and now - held.heartbeat_at > self.claim_lease

    def _heartbeat(self, claim: ProductionClaim, *, force: bool = False) -> ProductionClaim:
        now = self.clock.now()
        if not force and now - claim.heartbeat_at < CLAIM_HEARTBEAT:
            return claim
        fresh = replace(claim, heartbeat_at=now)
        with self.uow() as uow:
            if not uow.productions.refresh_claim(fresh):
                raise ClaimLost(
                    f"this run lost its claim on case {claim.case_id} (it was silent for longer "
                    f"than {self.claim_lease}); another run took over"
                )
            uow.commit()
        return fresh

    def _fail(self, actor: User, production: Production, exc: Exception) -> None:
        """The production stays for a retry, marked failed with the reason, on the audit log."""
        reason = exc.message if isinstance(exc, ComityError) else f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        with self.uow() as uow:
            current = uow.productions.get(production.id)
            if current is None or current.status != "producing":
                return
            uow.productions.update(replace(current, status="failed", reason=reason))
            uow.audit.record(
                AuditEvent.of(
                    now,
                    actor.id,
                    AuditAction.PRODUCTION_FAILED,
                    f"production/{production.id}",
                    {"case": production.case_id, "reason": reason},
                )
            )
            uow.commit()

    def _start(
        self,
        actor: User,
        ident: str,
        out_dir: Path,
        new_id: str | None = None,
        options: PackageOptions | None = None,
    ) -> tuple[Production, Demand, SignedAuthorization]:
        now = self.clock.now()
        with self.uow() as uow:
            case, demand_id = _find_case(uow, ident)
            record = uow.intake.get_demand(demand_id)
            if record is None:
                raise NotFound(f"no demand with id {demand_id!r}")
            demand = self._parse(record.document)
            running = [p for p in uow.productions.for_case(case.case_id) if p.status in RESUMABLE]
        # A production the case has left (objected to, reviewed and approved again) answers an
        # approval that no longer stands: it is abandoned, never resumed.
        stale = running if case.state is not CaseState.IN_PRODUCTION else []
        running = running if case.state is CaseState.IN_PRODUCTION else []
        if running:
            current = running[0]
            signed = SignedAuthorization.from_bytes(current.authorization.encode())
            if now < signed.authorization.expires_at:
                # Resume: the same authorization and time give the same bytes. The agents check
                # the law again before anything is read.
                try:
                    self._preflight(signed)
                except ComityError as exc:
                    self._fail(actor, current, exc)
                    raise
                if current.status == "failed":
                    current = self._resume_failed(actor, current, now)
                return current, demand, signed
        elif case.state is CaseState.DELIVERED:
            raise Conflict(f"case {case.case_id} was already produced and delivered")
        with self.uow() as uow:
            case, demand_id = _find_case(uow, ident)
            record = uow.intake.get_demand(demand_id)
            assert record is not None
            accounts = {f.target: _account_for(uow, demand, f.target) for f in case.findings}
            digest = _assessment_digest(uow, demand_id, case)
        known = {p.id for p in [*running, *stale]}
        pid = new_id if new_id and new_id not in known else _new_production_id()
        resuming = bool(running)
        auth = authorize_case(
            case if not resuming else case.model_copy(update={"state": CaseState.APPROVED}),
            demand_id=demand_id,
            demand_reference=record.reference,
            blocked_reason=record.disclosure_blocked_reason,
            accounts=accounts,
            assessment_digest=digest,
            authorization_id=pid,
            issuer=self.issuer,
            now=now,
            validity=self.validity,
            package=options or self.package_options,
        )
        signed = self.sign(auth)
        unavailable: ConfigurationError | None = None
        try:
            self._preflight(signed)
        except ConfigurationError as exc:
            # A region that cannot act now (its key file missing, its HSM refusing, its agent
            # misconfigured) is the operator's to mend, not a refusal of the case: the production
            # starts and is marked failed with the reason, for a retry (issue 14 item 4).
            unavailable = exc
        except ComityError as exc:
            self._log(
                now, actor.id, "production:refused", f"case/{case.case_id}", {"reason": exc.message}
            )
            raise
        production = Production(
            id=pid,
            demand_id=demand_id,
            case_id=case.case_id,
            status="producing",
            path=str((out_dir / f"{pid}.tar").resolve()),
            produced_at=now,
            authorization=signed.to_bytes().decode("utf-8"),
            created_by=actor.id,
            custodian=actor.name,
        )
        with self.uow() as uow:
            fresh = uow.cases.get(case.case_id, for_update=True)
            assert fresh is not None
            if resuming:
                reason = "its authorization expired before the package was published"
                _mark_abandoned(uow, actor, running[0], reason, now)
            else:
                if fresh != case:
                    raise Conflict(f"case {case.case_id} changed meanwhile; run produce again")
                for old in stale:
                    reason = "the case left production and was approved again"
                    _mark_abandoned(uow, actor, old, reason, now)
                # The case service's step: the workflow's checks, then intake's disclosure block.
                start_production_in(uow, actor, case.case_id, now)
            uow.productions.add(production)
            uow.audit.record(
                AuditEvent.of(
                    now,
                    actor.id,
                    "production:started",
                    f"production/{pid}",
                    {
                        "case": case.case_id,
                        "demand": demand_id,
                        "path": production.path,
                        "authorization": signed.to_document(),
                    },
                )
            )
            uow.commit()
        if unavailable is not None:
            self._fail(actor, production, unavailable)
            raise unavailable
        return production, demand, signed

    def _resume_failed(self, actor: User, production: Production, now: datetime) -> Production:
        resumed = replace(production, status="producing", reason=None)
        with self.uow() as uow:
            uow.productions.update(resumed)
            uow.audit.record(
                AuditEvent.of(
                    now,
                    actor.id,
                    AuditAction.PRODUCTION_RETRIED,
                    f"production/{production.id}",
                    {"case": production.case_id, "failed_because": production.reason},
                )
            )
            uow.commit()
        return resumed

    def _preflight(self, signed: SignedAuthorization) -> None:
        """Every region's agent checks the authorization and the law; nothing is read yet."""
        for region in signed.authorization.regions:
            stream = self.agents(region).release(signed)
            _close(stream)

    def _open_regions(
        self, signed: SignedAuthorization, parts: dict[str, RegionParts]
    ) -> Iterator[tuple[str, Iterator[Record]]]:
        """Each region's records in the authorization's order: a done part's from its agent,
        else the agent's one stream. Either way the same records in the same order, so the
        package has the same bytes."""
        for region in signed.authorization.regions:
            queue = parts.get(region)
            if queue is not None:
                yield region, queue.records(signed)
            else:
                yield region, self.agents(region).release(signed)

    # --- durable parts (ADR 0012) --------------------------------------------------------

    def _queue_parts(
        self, actor: User, production: Production, signed: SignedAuthorization
    ) -> dict[str, RegionParts]:
        """Queue each region's part with its agent where the agent keeps a queue (idempotent:
        a re-run finds the parts queued or done); the regions queued, logged."""
        queued: dict[str, RegionParts] = {}
        states: dict[str, str] = {}
        for region in signed.authorization.regions:
            queue = self.parts(region)
            if queue is None:
                continue
            status = queue.submit(signed)
            if status is not None:
                queued[region] = queue
                states[region] = status.state
        if queued:
            self._log(
                self.clock.now(),
                actor.id,
                AuditAction.PRODUCTION_PARTS_QUEUED,
                f"production/{production.id}",
                {"case": production.case_id, "parts": states},
            )
        return queued

    def _await_parts(
        self, signed: SignedAuthorization, queued: dict[str, RegionParts], beat: Callable[[], None]
    ) -> None:
        """Wait until every queued part is done, as long as the authorization is valid.

        A region whose agent cannot be reached is waited for (its part resumes when it returns:
        the job is in the region's database); a part that failed for good fails the production
        with the region's reason, and the retry queues it again.
        """
        auth = signed.authorization
        intervals = part_poll_intervals(self.part_poll)
        while True:
            statuses = [self._part_status(region, q, signed) for region, q in queued.items()]
            if self.on_parts is not None:
                self.on_parts(statuses)
            failed = [s for s in statuses if s.failed]
            if failed:
                raise IntegrityError(
                    "; ".join(
                        f"region {s.region}'s part failed after {s.attempts} attempt(s): {s.reason}"
                        for s in failed
                    )
                )
            if all(s.done for s in statuses):
                return
            if self.clock.now() >= auth.expires_at:
                waiting = ", ".join(f"{s.region} ({s.state})" for s in statuses if not s.done)
                raise Conflict(
                    f"authorization {auth.id} expired while waiting for the parts of {waiting}"
                )
            beat()
            self.sleep(next(intervals))

    @staticmethod
    def _part_status(region: str, queue: RegionParts, signed: SignedAuthorization) -> PartStatus:
        auth_id = signed.authorization.id
        try:
            return queue.status(auth_id)
        except NotFound:
            pass  # the region lost the part (its database restored from before it)
        except ConfigurationError as exc:
            return PartStatus(region, auth_id, UNREACHABLE, reason=exc.message)
        try:
            status = queue.submit(signed)
        except ConfigurationError as exc:
            return PartStatus(region, auth_id, UNREACHABLE, reason=exc.message)
        return status or PartStatus(region, auth_id, "queued")

    def part_statuses(self, actor: User, production_id: str) -> list[PartStatus]:
        """Each region's part of a production as its agent reports it now (staff only):
        ``in-process`` for a region read in one stream, ``unreachable`` when its agent is."""
        require(actor, HANDLERS)
        production = self.get(actor, production_id)
        signed = SignedAuthorization.from_bytes(production.authorization.encode())
        auth_id = signed.authorization.id
        out = []
        for region in signed.authorization.regions:
            queue = self.parts(region)
            if queue is None:
                out.append(PartStatus(region, auth_id, IN_PROCESS))
                continue
            try:
                out.append(queue.status(auth_id))
            except NotFound:
                out.append(PartStatus(region, auth_id, "not queued"))
            except ConfigurationError as exc:
                out.append(PartStatus(region, auth_id, UNREACHABLE, reason=exc.message))
        return out

    def _publish(
        self, actor: User, production: Production, written: WrittenPackage, encrypted: Path | None
    ) -> Production:
        now = self.clock.now()
        with self.uow() as uow:
            case = uow.cases.get(production.case_id, for_update=True)
            assert case is not None
            current = uow.productions.get(production.id)
            if current is not None and current.status == "published":
                return current  # published meanwhile: a published package is never removed
            if case.state is not CaseState.IN_PRODUCTION:
                self._abandon_written(uow, actor, production, written, encrypted, case.state, now)
            published = replace(
                production,
                status="published",
                sha256=written.sha256,
                size=written.size,
                record_count=written.record_count,
                published_at=now,
                encrypted_path=str(encrypted) if encrypted else None,
            )
            uow.productions.update(published)
            if case.state is CaseState.IN_PRODUCTION:
                package = {"production": production.id, "sha256": written.sha256}
                deliver_in(uow, actor, case.case_id, now, package=package)
            uow.audit.record(
                AuditEvent.of(
                    now,
                    actor.id,
                    "production:published",
                    f"production/{production.id}",
                    {
                        "case": production.case_id,
                        "demand": production.demand_id,
                        "sha256": written.sha256,
                        "size": written.size,
                        "records": written.record_count,
                        "encrypted": encrypted is not None,
                    },
                )
            )
            uow.commit()
        return published

    def _abandon_written(  # noqa: PLR0917 (everything the refusal names)
        self,
        uow: ProductionUnitOfWork,
        actor: User,
        production: Production,
        written: WrittenPackage,
        encrypted: Path | None,
        state: CaseState,
        now: datetime,
    ) -> NoReturn:
        """The case left production while the package was written (an objection, a court):
        the package answers an approval that no longer stands, so it is removed, not published."""
        reason = f"the case became {state.value} while the package was written"
        _mark_abandoned(uow, actor, production, reason, now)
        uow.commit()
        for path in (written.path, encrypted):
            if path is not None:
                path.unlink(missing_ok=True)
        raise Conflict(
            f"case {production.case_id} became {state.value} while production {production.id} "
            "was being written; the package was removed and not published"
        )

    def _parse(self, document: dict[str, Any]) -> Demand:
        demand, problems = parse_demand(document, known_countries=self.known_countries)
        collect(problems)
        assert demand is not None
        return demand

    def _log(self, now: datetime, actor: str, action: str, subject: str, payload: Any) -> None:
        with self.uow() as uow:
            uow.audit.record(AuditEvent.of(now, actor, action, subject, payload))
            uow.commit()

    # --- reading and delivering ----------------------------------------------------------

    def get(self, actor: User, production_id: str) -> Production:
        """One production, under the demand's visibility rule (another agency's is a 404)."""
        with self._read() as uow:
            production = uow.productions.get(production_id)
        if production is None:
            raise NotFound(f"no production with id {production_id!r}")
        try:
            visible_demand(self._read, actor, production.demand_id)
        except NotFound:
            raise NotFound(f"no production with id {production_id!r}") from None
        return production

    def list_productions(self, actor: User, demand_id: str) -> list[Production]:
        """The demand's productions, newest last; requesters see their agency's demands only."""
        visible_demand(self._read, actor, demand_id)
        with self._read() as uow:
            found = list(uow.productions.for_demand(demand_id))
        if not actor.is_staff:
            found = [p for p in found if p.status == "published"]
        return found

    def create_link(
        self, actor: User, production_id: str, ttl: timedelta | None = None
    ) -> tuple[str, DownloadLink]:
        """A short-lived download link for the demand's agency; the token is returned once."""
        production = self.get(actor, production_id)
        _require_download_right(actor)
        if production.status != "published":
            raise Conflict(f"production {production_id} is {production.status}, not published")
        ttl = ttl or self.link_ttl
        if ttl <= timedelta(0) or ttl > timedelta(days=1):
            raise Conflict("a download link lives between one second and one day")
        now = self.clock.now()
        token = LINK_PREFIX + secrets.token_urlsafe(32)
        with self.uow() as uow:
            record = uow.intake.get_demand(production.demand_id)
            assert record is not None
            link = DownloadLink(
                id="lnk-" + uuid.uuid4().hex[:16],
                token_hash=hash_link_token(token),
                production_id=production_id,
                agency_id=record.agency_id,
                created_by=actor.id,
                created_at=now,
                expires_at=now + ttl,
            )
            uow.productions.add_link(link)
            uow.audit.record(
                AuditEvent.of(
                    now,
                    actor.id,
                    "production:link:created",
                    f"production/{production_id}",
                    {
                        "link": link.id,
                        "agency": link.agency_id,
                        "expires_at": link.expires_at.isoformat(),
                        "token_sha256": link.token_hash,
                    },
                )
            )
            uow.commit()
        return token, link

    def open_download(self, actor: User, token: str) -> tuple[Production, Path]:
        """The package file behind a link, logged as downloaded; 404 for an unknown token or
        another agency's link, 403 without ``may_download``, 410 once expired.

        The token is checked in a read-only transaction; only a download that will happen takes
        the write lock, to put it on the audit log. Anyone signed in can send tokens, and a
        stream of bad ones must neither queue behind the writers nor delay them (nor fail with
        "database is locked" instead of its 404).
        """
        with self._read() as uow:
            now = uow.now
            link, production = self._usable_link(uow, actor, token, now)
        path = self._file(production)
        with self.uow() as uow:  # links are never deleted: what was read still holds
            uow.audit.record(
                AuditEvent.of(
                    now,
                    actor.id,
                    "production:downloaded",
                    f"production/{production.id}",
                    {"link": link.id, "file": path.name, "sha256": production.sha256},
                )
            )
            uow.commit()
        return production, path

    @staticmethod
    def _usable_link(
        uow: ProductionUnitOfWork, actor: User, token: str, now: datetime
    ) -> tuple[DownloadLink, Production]:
        """The link ``token`` opens for ``actor`` at ``now`` and its production, or the refusal:
        an unknown token and another agency's link are the same 404 (a link's existence is not
        revealed), 403 without the right to download, 410 once expired."""
        link = uow.productions.link_by_token_hash(hash_link_token(token))
        if link is None or (not actor.is_staff and actor.agency_id != link.agency_id):
            raise NotFound("no download link with this token")
        _require_download_right(actor)
        if now >= link.expires_at:
            raise Gone(
                f"this download link expired at {link.expires_at.isoformat()}; create a new one"
            )
        production = uow.productions.get(link.production_id)
        assert production is not None
        return link, production

    def staff_download(self, actor: User, production_id: str) -> tuple[Production, Path]:
        """Staff read a package directly (the console); logged like a requester's download."""
        require(actor, HANDLERS)
        production = self.get(actor, production_id)
        if production.status != "published":
            raise Conflict(f"production {production_id} is {production.status}, not published")
        path = self._file(production)
        self._log(
            self.clock.now(),
            actor.id,
            "production:downloaded",
            f"production/{production.id}",
            {"link": None, "file": path.name, "sha256": production.sha256},
        )
        return production, path

    @staticmethod
    def _file(production: Production) -> Path:
        path = Path(production.encrypted_path or production.path)
        if not path.is_file():
            raise IntegrityError(f"the package file of production {production.id} is missing")
        return path


def part_poll_intervals(ceiling: float, first: float = FIRST_PART_POLL) -> Iterator[float]:
    """The waits between two looks at running parts: ``first``, doubling up to ``ceiling``, then
    ``ceiling`` for as long as the parts run. A part done soon is seen soon; a long one (or a
    region that cannot be reached for hours) is asked at most once per ``ceiling``."""
    wait = min(first, ceiling)
    while True:
        yield wait
        wait = min(wait * 2, ceiling)


def package_facts(demand: Demand, production: Production, provider: str) -> PackageFacts:
    """What the package says besides its records, fixed by the production row: the same
    production always gives the same facts, so the same bytes."""
    return PackageFacts(
        reference=demand.reference,
        authority=demand.issuing_authority.name,
        period=demand.period,
        custodian_name=production.custodian,
        custodian_title=CUSTODIAN_TITLE,
        provider=provider,
        produced_at=production.produced_at,
        authority_country=demand.issuing_authority.country,
    )


def _mark_abandoned(
    uow: ProductionUnitOfWork, actor: User, production: Production, reason: str, now: datetime
) -> None:
    """A production that will never be published, and why, on the record."""
    uow.productions.update(replace(production, status="abandoned", reason=reason))
    uow.audit.record(
        AuditEvent.of(
            now, actor.id, "production:abandoned", f"production/{production.id}", {"reason": reason}
        )
    )


def _new_production_id() -> str:
    return "prd-" + uuid.uuid4().hex[:16]


def _find_case(uow: ProductionUnitOfWork, ident: str) -> tuple[Case, str]:
    case = uow.cases.get(ident) or uow.cases.for_demand(ident)
    if case is None:
        raise NotFound(f"no case or demand with a case for id {ident!r}")
    demand_id = uow.cases.demand_of(case.case_id)
    if demand_id is None:
        raise Conflict(f"case {case.case_id} is not linked to a stored demand; nothing to produce")
    return case, demand_id


def _account_for(uow: ProductionUnitOfWork, demand: Demand, target: str) -> str | None:
    """The account a finding's target names: matched against the demand's own targets (as
    ``type:value`` or bare value), then looked up by selector."""
    selector = None
    for t in demand.targets:
        if target in (str(t.selector), t.selector.value):
            selector = t.selector
            break
    if selector is None and ":" in target:
        kind, _, value = target.partition(":")
        if kind in SELECTOR_TYPES:
            selector = Selector.normalise(kind, value)
    if selector is None:
        return None
    account = uow.accounts.find_by_selector(selector)
    return None if account is None else account.id


def _assessment_digest(uow: ProductionUnitOfWork, demand_id: str, case: Case) -> str:
    """The stored assessment the case rests on (the latest), else the case's findings."""
    stored = sorted(uow.intake.list_assessments(demand_id), key=lambda a: a.created_at)
    if stored:
        document: Any = stored[-1].document
    else:
        document = {"case_findings": [f.model_dump(mode="json") for f in case.findings]}
    return "sha256:" + hashlib.sha256(canonical_json(document)).hexdigest()


class _Beat:
    """Refreshes the claim's heartbeat as records arrive (at most every ``CLAIM_HEARTBEAT``)."""

    def __init__(self, service: ProductionService, claim: ProductionClaim) -> None:
        self._service = service
        self.claim = claim

    def __call__(self) -> None:
        self.claim = self._service._heartbeat(self.claim)


def _counted(
    streams: Iterable[tuple[str, Iterator[Record]]],
    progress: Progress | None,
    beat: Callable[[], None],
) -> Iterator[tuple[str, Iterator[Record]]]:
    for region, records in streams:
        yield region, _count(region, records, progress, beat)


def _count(
    region: str,
    records: Iterator[Record],
    progress: Progress | None,
    beat: Callable[[], None],
) -> Iterator[Record]:
    size = 0
    for n, record in enumerate(records, 1):
        size += len(record.body)
        beat()
        if progress is not None:
            progress(region, n, size)
        yield record


def _close(stream: Iterator[Record]) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        with suppress(Exception):
            close()


def _require_download_right(actor: User) -> None:
    """Staff who handle productions may fetch packages; a requester only once the provider has
    allowed it downloads (``may_download``), whether making a link or opening one."""
    if actor.is_staff:
        require(actor, HANDLERS)
    elif not actor.may_download:
        raise Forbidden(
            f"{actor.id} may not download productions; the provider must allow downloads "
            "for this requester (may_download)"
        )
