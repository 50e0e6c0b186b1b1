"""The composition root: the one place where settings become concrete adapters.

Entry points (CLI, API, web) ask for a ``Comity`` built from a deployment directory; tests build
one on a temporary directory. Adapters are created lazily so a command pays only for what it
uses, and the heavier adapter modules (the package writer and its PDF library, the HTTP agent
client, the demo, the console's repositories) are imported inside the method that needs them, so
``comity audit head`` does not import fpdf or httpx.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from comity.adapters.audit.signing import NoteSigner, create_key_file, load_key_file
from comity.adapters.clock import SystemClock
from comity.adapters.config.deployment_file import FILE_NAME, load_deployment
from comity.adapters.controlplane.db import make_engine, make_read_engine
from comity.adapters.controlplane.migrate import upgrade
from comity.adapters.controlplane.totp_seal import TotpSealer
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork, uow_factory
from comity.adapters.regions.vault import RegionVault, keyring_url, open_keyring, open_vault
from comity.adapters.signing.authorizations import sign_authorization, verify_authorization
from comity.adapters.signing.ed25519 import PublicKey, SigningKey, public_path
from comity.adapters.signing.hold_instructions import (
    sign_hold_instruction,
    verify_hold_instruction,
)
from comity.adapters.sources.config import build_source, region_sources
from comity.adapters.tls.layout import CONTROL_PLANE_NAME, PkiLayout, TlsFiles, agent_name
from comity.domain.audit import AuditAction
from comity.domain.audit_names import AUDIT_KEY_FILE, audit_key_name, origin_from_url
from comity.domain.authorization import Authorization, PackageOptions, SignedAuthorization
from comity.domain.demand_schema import demand_json_schema
from comity.domain.deployment import Deployment
from comity.domain.hold_instruction import HoldInstruction, SignedHoldInstruction
from comity.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from comity.law.countries import known_countries
from comity.services.custody.hold_keeper import HoldKeeper, SignedHolds
from comity.services.custody.hold_ports import HoldAgent, RegionHolds
from comity.services.custody.ports import Keyring
from comity.services.custody.source_ports import AccountRef, RecordSource
from comity.services.intake.demands import vocabulary_of
from comity.services.intake.ports import DemandFilter
from comity.services.ports import Clock
from comity.services.productions.parts_ports import RegionParts
from comity.services.productions.ports import Production, RegionAgent
from comity.services.sign_in_throttle import SignInThrottle

if TYPE_CHECKING:
    from fastapi import FastAPI

    from comity.adapters.agent.client import HttpRegionAgent
    from comity.adapters.agent.jobs import RegionJobs
    from comity.adapters.controlplane.alerts_repo import SqlAlertLog
    from comity.adapters.controlplane.console_repo import SqlConsoleUnitOfWork
    from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork
    from comity.adapters.controlplane.moves_repo import SqlMoveJournal
    from comity.adapters.controlplane.productions_repo import SqlProductionUnitOfWork
    from comity.adapters.notify.settings import NotifySettings
    from comity.adapters.tls.pki import CertificateInfo
    from comity.bootstrap.audit_log import AuditLog
    from comity.bootstrap.hi1 import Hi1Gateway
    from comity.law.engine import LawEngine
    from comity.services.assessment.law_assessor import LawAssessor
    from comity.services.cases.actions import LawContext
    from comity.services.productions.agent import LocalRegionAgent
    from comity.services.productions.produce import ProductionService


@dataclass
class Comity:
    """Everything a running deployment needs, wired once."""

    home: Path
    deployment: Deployment
    clock: Clock = field(default_factory=SystemClock)
    #: Failed sign-ins, counted the same for the console form and ``POST /auth/token``.
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle)
    #: Each remote region's agent client, made on first use (``_http_agent``).
    _http_agents: dict[str, HttpRegionAgent] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _http_agents_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @cached_property
    def engine(self) -> Engine:
        assert self.deployment.control_plane is not None
        return make_engine(self.deployment.control_plane)

    @cached_property
    def uow(self) -> Callable[[], SqlUnitOfWork]:
        return uow_factory(self.engine, self.clock.now, self.audit_signer)

    def migrate(self) -> None:
        upgrade(self.engine)

    def prepare_regions(self) -> list[str]:
        """Create each region's store schema and key if missing (idempotent); say what was made."""
        lines: list[str] = []
        for region in self.deployment.regions:
            made = self.region_store(region.id).prepare()
            state = f"created {' and '.join(made)}" if made else "ready"
            lines.append(f"region {region.id} ({region.country}): {region.store} ({state})")
        return lines

    @cached_property
    def law_engine(self) -> LawEngine:
        """The rule pack, parsed once: ``[law] pack`` in comity.toml, else the shipped pack."""
        law = self.deployment.extra.get("law")
        pack = law.get("pack") if isinstance(law, dict) else None
        from comity.law.engine import LawEngine  # noqa: PLC0415 (the rule engine loads cedarpy)

        return LawEngine.load(self.home / pack if isinstance(pack, str) else None)

    def demand_json_schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The demand document's schema and components, listing this deployment's countries and
        its rule pack's instruments and US districts (what intake accepts)."""
        vocabulary = vocabulary_of(self.law_engine)
        return demand_json_schema(
            countries=known_countries(),
            instruments=vocabulary.instruments,
            us_districts=vocabulary.us_districts,
        )

    @cached_property
    def assessor(self) -> LawAssessor:
        """The law engine as the API and the intake services see it."""
        from comity.services.assessment.law_assessor import LawAssessor  # noqa: PLC0415

        return LawAssessor(self.law_engine, self.deployment, self.uow)

    @property
    def known_countries(self) -> frozenset[str]:
        """ISO 3166-1 codes and EU: reference data of the law layer (``comity.law.countries``)."""
        return known_countries()

    @cached_property
    def law_context(self) -> LawContext:
        """What opening or re-assessing a case needs: this deployment's law engine and place."""
        from comity.services.cases.actions import LawContext  # noqa: PLC0415

        return LawContext(self.assessor, self.deployment, self.known_countries)

    @cached_property
    def hi1(self) -> Hi1Gateway:
        """ETSI TS 103 120 (HI-1) messages in and out (``POST /hi1``, ``comity demand import``)."""
        from comity.bootstrap.hi1 import Hi1Gateway  # noqa: PLC0415

        return Hi1Gateway(self)

    # --- audit log (issue 5) ---

    @property
    def audit_key_path(self) -> Path:
        """The log's Ed25519 signing key: secret, mode 0600, created by ``comity init``."""
        return self.home / "keys" / AUDIT_KEY_FILE

    def ensure_audit_key(self) -> bool:
        """Create the signing key if there is none; True if one was made."""
        if self.audit_key_path.exists():
            return False
        create_key_file(self.audit_key_path, audit_key_name(self.deployment))
        self.__dict__.pop("audit_signer", None)
        return True

    @cached_property
    def audit_signer(self) -> NoteSigner | None:
        """The checkpoint signer, or None in a deployment without a key (no checkpoints)."""
        return load_key_file(self.audit_key_path) if self.audit_key_path.exists() else None

    @cached_property
    def control_plane_key(self) -> SigningKey:
        """The control plane's Ed25519 key, which signs authorizations; created 0600 on first use,
        its public half published as ``keys/control-plane.pub.pem`` for the regional agents."""
        return SigningKey.load_or_create(self.home / "keys" / "control-plane.pem")

    @cached_property
    def provider_key(self) -> SigningKey:
        """The provider's Ed25519 key, which signs packages; ``keys/provider.pub.pem`` is the key
        the provider publishes for ``comity verify --key``."""
        return SigningKey.load_or_create(self.home / "keys" / "provider.pem")

    # --- regional custody (issue 2) ---

    def region_store(self, region_id: str) -> RegionVault:
        """The store and keyring of one region: the only path to that region's data."""
        if region_id not in self._vaults:
            try:
                region = self.deployment.region(region_id)
            except KeyError as exc:
                raise NotFound(str(exc.args[0])) from None
            self._vaults[region_id] = open_vault(region)
        return self._vaults[region_id]

    @cached_property
    def _vaults(self) -> dict[str, RegionVault]:
        return {}

    def region_keyring(self, region_id: str) -> Keyring:
        """The region's keyring alone, not yet opened: its ``custody`` says where the keys are
        kept without reading a key file or logging in to an HSM (``comity regions list``, on a
        control-plane host that by design holds no region key, ADR 0012/0014); its keys are
        read on first use. The region's store is not opened."""
        if region_id in self._vaults:
            return self._vaults[region_id].keyring
        try:
            region = self.deployment.region(region_id)
        except KeyError as exc:
            raise NotFound(str(exc.args[0])) from None
        return open_keyring(region.id, keyring_url(region))

    def move_journal(self, uow: SqlUnitOfWork) -> SqlMoveJournal:
        """The journal of account moves, inside ``uow``'s transaction."""
        from comity.adapters.controlplane.moves_repo import SqlMoveJournal  # noqa: PLC0415

        return SqlMoveJournal(uow.session, lambda: uow.now)

    # --- intake (issue 4) ---

    @cached_property
    def intake_uow(self) -> Callable[[], SqlIntakeUnitOfWork]:
        """Units of work that also carry the intake repository (registry, users, demands)."""
        from comity.adapters.controlplane.intake_repo import (  # noqa: PLC0415
            intake_uow_factory,
        )

        return intake_uow_factory(self.engine, self.clock.now, self.audit_signer)

    @cached_property
    def read_engine(self) -> Engine:
        """The control plane opened for reading only: no write lock (``make_read_engine``)."""
        assert self.deployment.control_plane is not None
        return make_read_engine(self.deployment.control_plane)

    @cached_property
    def read_only(self) -> Callable[[], SqlUnitOfWork]:
        """Plain read-only units of work (accounts and the audit log), for the log's readers."""
        return uow_factory(self.read_engine, self.clock.now)

    @cached_property
    def audit_log(self) -> AuditLog:
        """The audit log's front door: documents, proofs, tiles, checks, witnessing, reports."""
        from comity.bootstrap.audit_log import AuditLog  # noqa: PLC0415

        return AuditLog(
            read=self.read_only,
            write=self.uow,
            signer=self.audit_signer,
            key_path=self.audit_key_path,
            home=self.home,
            settings=self.deployment.extra,
            now=self.clock.now,
        )

    @cached_property
    def reader(self) -> Callable[[], SqlIntakeUnitOfWork]:
        """Read-only units of work for the API's reads, audit proofs included (no write lock)."""
        from comity.adapters.controlplane.intake_repo import (  # noqa: PLC0415
            intake_uow_factory,
        )

        return intake_uow_factory(self.read_engine, self.clock.now)

    # --- productions (issue 7) ---

    @cached_property
    def production_uow(self) -> Callable[[], SqlProductionUnitOfWork]:
        """Units of work with intake, cases and productions on one transaction."""
        from comity.adapters.controlplane.productions_repo import (  # noqa: PLC0415
            production_uow_factory,
        )

        return production_uow_factory(self.engine, self.clock.now, self.audit_signer)

    @cached_property
    def production_reader(self) -> Callable[[], SqlProductionUnitOfWork]:
        """``production_uow`` opened for reading only: no write lock (``make_read_engine``)."""
        from comity.adapters.controlplane.productions_repo import (  # noqa: PLC0415
            production_uow_factory,
        )

        return production_uow_factory(self.read_engine, self.clock.now)

    def signing_keys(self) -> list[str]:
        """Make the provider's and the control plane's signing keys (if missing) and say what to
        publish: requesters check packages against the provider key, regional agents and anyone
        holding a package check authorizations against the control-plane key, so both must be
        public before the first production, not made by it."""
        lines = []
        for label, key, path in (
            ("provider signing key (signs packages)", self.provider_key, "provider.pem"),
            (
                "control-plane key (signs authorizations)",
                self.control_plane_key,
                "control-plane.pem",
            ),
        ):
            private = self.home / "keys" / path
            lines.append(f"{label}: {private} (keep secret; mode 0600), id {key.key_id}")
            lines.append(f"  publish {public_path(private)}:")
            lines += ["  " + line for line in key.public.pem().decode("ascii").splitlines()]
        return lines

    def trusted_control_plane_keys(self) -> list[PublicKey]:
        """The control-plane key an agent trusts: the published public half if present (an
        agent host holds only that), else the control plane's own key."""
        published = public_path(self.home / "keys" / "control-plane.pem")
        if published.exists():
            return [PublicKey.load(published)]
        return [self.control_plane_key.public]

    def local_agent(self, region_id: str) -> LocalRegionAgent:
        """The in-process agent of a region: its custody, the control-plane key, the law."""
        keys = self.trusted_control_plane_keys()

        def verify(signed: SignedAuthorization, now: datetime, region: str) -> Authorization:
            return verify_authorization(signed, keys, now=now, region=region)

        from comity.services.productions.agent import EngineRecheck, LocalRegionAgent  # noqa: PLC0415

        recheck = EngineRecheck(self.law_engine, self.deployment, self.reader, known_countries())
        return LocalRegionAgent(
            self.region_store(region_id),
            verify,
            recheck,
            self.clock,
            sources=self.region_sources(region_id),
            accounts=self.account_ref,
        )

    def agent_app(
        self,
        region_id: str,
        stalled_after: float | None = None,
        *,
        require_control_plane: bool = False,
    ) -> tuple[FastAPI, str, bool]:
        """A region's agent as its own HTTP application (``comity agent``), the id of the
        control-plane key it trusts, and whether it runs the region's production worker (on a
        PostgreSQL store, ADR 0012). ``require_control_plane``: every request must carry the
        control plane's client certificate (mutual TLS, ``serve_agent``)."""
        from comity.adapters.agent.server import create_agent_app  # noqa: PLC0415

        key_id = self.trusted_control_plane_keys()[0].key_id
        jobs = self.region_jobs(region_id, stalled_after)
        app = create_agent_app(
            self.local_agent(region_id),
            key_id,
            jobs,
            require_control_plane=require_control_plane,
            holds=self.local_holds(region_id),
        )
        return app, key_id, jobs is not None

    def region_sources(self, region_id: str) -> list[RecordSource]:
        """The region's ``[regions.X.sources.Y]`` adapters, built for its agent (which alone
        reads their secret files); none means Comity's own store is the region's only source."""
        settings = region_sources(self.deployment.extra, region_id)
        return [build_source(name, body) for name, body in settings.items()]

    def account_ref(self, account_id: str) -> AccountRef:
        """An account's selectors, by which a source finds its mailbox or rows."""
        with self.uow() as uow:
            account = uow.accounts.get(account_id)
        return AccountRef(account_id, account.selectors if account is not None else ())

    def region_agent(self, region_id: str) -> RegionAgent:
        """The agent ``comity.toml`` names for the region (``[agents.<id>] url``), else local;
        over ``https://`` with this deployment's control-plane certificate (mutual TLS)."""
        if region_id not in self.deployment.region_ids:
            raise NotFound(f"authorization names region {region_id!r}, unknown to this deployment")
        settings = self._agent_settings(region_id)
        if settings is not None:
            return self._http_agent(region_id, settings["url"])
        return self.local_agent(region_id)

    def _http_agent(self, region_id: str, url: str) -> HttpRegionAgent:
        """The one client of the region's remote agent in this process: its keep-alive
        connections and TLS context serve every production, poll and hold (the context is
        rebuilt when the certificate files change, ``adapters/tls/rotating``)."""
        from comity.adapters.agent.client import HttpRegionAgent  # noqa: PLC0415

        with self._http_agents_lock:
            agent = self._http_agents.get(region_id)
            if agent is None:
                tls = self.control_plane_tls(region_id) if url.startswith("https://") else None
                agent = HttpRegionAgent(region_id, url, tls=tls)
                self._http_agents[region_id] = agent
            return agent

    def local_holds(self, region_id: str) -> HoldKeeper:
        """The in-process agent of a region as it carries out holds (ADR 0014): its custody, its
        sources (their secret files are read here, on the region's host), the control-plane
        key it checks instructions against."""
        keys = self.trusted_control_plane_keys()

        def verify(signed: SignedHoldInstruction, now: datetime, region: str) -> HoldInstruction:
            return verify_hold_instruction(signed, keys, now=now, region=region)

        return HoldKeeper(
            self.region_store(region_id),
            verify,
            self.clock,
            sources=self.region_sources(region_id),
        )

    def region_holds(self, region_id: str) -> RegionHolds:
        """A region's holds as the case services reach them: each instruction signed with the
        control-plane key and carried out by the region's agent, over mutual TLS when
        ``comity.toml`` names one (``[agents.<id>] url``), else in process. The control plane
        then needs neither the region's sources' secrets nor its store."""
        try:
            self.deployment.region(region_id)
        except KeyError as exc:
            raise NotFound(str(exc.args[0])) from None
        agent: HoldAgent
        settings = self._agent_settings(region_id)
        if settings is not None:
            agent = self._http_agent(region_id, settings["url"])
        else:
            agent = self.local_holds(region_id)
        key = self.control_plane_key

        def sign(instruction: HoldInstruction) -> SignedHoldInstruction:
            return sign_hold_instruction(instruction, key)

        return SignedHolds(agent, sign)

    def region_parts(self, region_id: str) -> RegionParts | None:
        """The region's durable parts as the control plane reaches them: its agent over HTTP
        when ``comity.toml`` names one (which says, per production, whether it keeps a queue),
        else None (the in-process agent reads the region in one stream)."""
        agent = self.region_agent(region_id)
        if self._agent_settings(region_id) is None:
            # In process: no HTTP client to import (httpx took 0.2 s of a first production).
            return None
        from comity.adapters.agent.client import HttpRegionAgent  # noqa: PLC0415

        return agent if isinstance(agent, HttpRegionAgent) else None

    def region_jobs(self, region_id: str, stalled_after: float | None = None) -> RegionJobs | None:
        """The region's production queue and worker, for ``comity agent`` (ADR 0012): on a
        PostgreSQL store only; a SQLite region keeps today's one-stream path (None)."""
        region = self.deployment.region(region_id)
        vault = self.region_store(region_id)
        if region.store is None or not region.store.startswith(
            ("postgresql://", "postgresql+psycopg://")
        ):
            return None
        from comity.adapters.agent.jobs import DEFAULT_STALLED_AFTER, RegionJobs  # noqa: PLC0415
        from comity.adapters.agent.part_file import SealedPartFiles  # noqa: PLC0415
        from comity.adapters.agent.part_ledger import SqlPartLedger  # noqa: PLC0415
        from comity.services.productions.parts import RegionPartService  # noqa: PLC0415

        ledger = SqlPartLedger(region_id, vault.store.engine)
        ledger.ensure_schema()
        parts = SealedPartFiles(region_id, self.parts_dir(region_id), vault.keyring)
        service = RegionPartService(self.local_agent(region_id), ledger, parts, self.clock)
        return RegionJobs(
            service,
            region.store,
            stalled_after=DEFAULT_STALLED_AFTER if stalled_after is None else stalled_after,
        )

    def parts_dir(self, region_id: str) -> Path:
        """Where the region's agent keeps sealed parts: ``regions/<id>/parts`` on its host."""
        return self.home / "regions" / region_id / "parts"

    def _agent_settings(self, region_id: str) -> dict[str, str] | None:
        agents = self.deployment.extra.get("agents")
        settings = agents.get(region_id) if isinstance(agents, dict) else None
        return settings if isinstance(settings, dict) else None

    @property
    def pki(self) -> PkiLayout:
        """Where ``comity pki`` keeps the deployment CA and the certificates it issues."""
        return PkiLayout(self.home)

    def control_plane_tls(self, region_id: str) -> TlsFiles:
        """The CA, certificate and key the control plane uses to call the region's agent:
        ``[agents.<id>] ca, cert, key`` if given, else the ``comity pki`` files."""
        settings = self._agent_settings(region_id) or {}
        return TlsFiles(
            Path(settings.get("ca", self.pki.ca_cert)),
            Path(settings.get("cert", self.pki.cert(CONTROL_PLANE_NAME))),
            Path(settings.get("key", self.pki.key(CONTROL_PLANE_NAME))),
        )

    def agent_tls(self, region_id: str) -> TlsFiles:
        """The CA, certificate and key the region's agent serves with: ``[agents.<id>] ca,
        agent-cert, agent-key`` if given, else the ``comity pki`` files."""
        settings = self._agent_settings(region_id) or {}
        name = agent_name(region_id)
        return TlsFiles(
            Path(settings.get("ca", self.pki.ca_cert)),
            Path(settings.get("agent-cert", self.pki.cert(name))),
            Path(settings.get("agent-key", self.pki.key(name))),
        )

    def create_ca(self, actor: str = "cli") -> dict[str, object]:
        """``comity pki init``: the deployment's CA, on the audit log."""
        from comity.adapters.tls.pki import init_ca  # noqa: PLC0415
        from comity.services.pki import on_the_record  # noqa: PLC0415

        def act(now: datetime) -> dict[str, object]:
            return init_ca(self.pki, now, name=self.deployment.provider.name).facts()

        return on_the_record(
            self.uow,
            self.clock,
            actor=actor,
            action=AuditAction.PKI_CA_CREATED,
            subject="pki/ca",
            act=act,
        )

    def issue_certificate(
        self,
        region_id: str | None,
        *,
        days: int,
        hosts: tuple[str, ...] = (),
        replace: bool = False,
        actor: str = "cli",
    ) -> dict[str, object]:
        """``comity pki issue``: the certificate of a region's agent (or, with None, of the
        control plane), signed by the deployment CA, on the audit log."""
        from comity.adapters.tls.pki import issue  # noqa: PLC0415
        from comity.services.pki import on_the_record  # noqa: PLC0415

        if region_id is not None and region_id not in self.deployment.region_ids:
            known = ", ".join(self.deployment.region_ids)
            raise NotFound(f"no region {region_id!r} in this deployment (regions: {known})")

        def act(now: datetime) -> dict[str, object]:
            info = issue(
                self.pki, now, region_id=region_id, days=days, hosts=hosts, replace=replace
            )
            return info.facts()

        name = agent_name(region_id) if region_id is not None else CONTROL_PLANE_NAME
        return on_the_record(
            self.uow,
            self.clock,
            actor=actor,
            action=AuditAction.PKI_CERTIFICATE_ISSUED,
            subject=f"pki/{name}",
            act=act,
        )

    def certificates(self) -> list[CertificateInfo]:
        """Every certificate under ``pki/``, the CA first."""
        from comity.adapters.tls.pki import describe  # noqa: PLC0415

        found = sorted((self.home / "pki").glob("*.pem")) if (self.home / "pki").is_dir() else []
        infos = [describe(path) for path in found]
        return sorted(infos, key=lambda i: (i.role != "ca", i.path.name))

    def agent_certificate(self, region_id: str) -> CertificateInfo | None:
        """The certificate issued to the region's agent, if this host holds it."""
        from comity.adapters.tls.pki import describe  # noqa: PLC0415

        path = self.agent_tls(region_id).cert
        return describe(path) if path.exists() else None

    def agent_location(self, region_id: str) -> str:
        """Where the region's agent runs: its URL, or in-process."""
        settings = self._agent_settings(region_id)
        return settings["url"] if settings is not None else "in-process"

    def serve_agent(
        self,
        region_id: str,
        host: str,
        port: int,
        *,
        insecure_http: bool = False,
        stalled_after: float | None = None,
    ) -> tuple[Callable[[], None], str, bool]:
        """``comity agent``: the region's agent ready to run (mutual TLS unless
        ``insecure_http``, which only a loopback address may use), the id of the control-plane
        key it trusts, and whether it runs the region's production worker (ADR 0012)."""
        from comity.adapters.agent.serve import run_agent  # noqa: PLC0415

        if region_id not in self.deployment.region_ids:
            known = ", ".join(self.deployment.region_ids)
            raise NotFound(f"no region {region_id!r} in this deployment (regions: {known})")
        tls = None if insecure_http else self.agent_tls(region_id)
        if tls is not None and tls.missing():
            missing = ", ".join(str(p) for p in tls.missing())
            raise ConfigurationError(
                f"the agent of region {region_id} serves mutual TLS and needs {missing}; run "
                f"'comity pki init' (once) and 'comity pki issue agent {region_id}'"
            )
        if tls is None and host not in ("127.0.0.1", "::1", "localhost"):
            raise InvalidInput(
                f"--insecure-http: plain HTTP is allowed on a loopback address only, not on {host}"
            )
        app, key_id, with_jobs = self.agent_app(
            region_id, stalled_after, require_control_plane=tls is not None
        )
        return (lambda: run_agent(app, host, port, tls)), key_id, with_jobs

    @property
    def download_link_ttl(self) -> timedelta:
        """``[api] download_link_minutes`` (default 15): how long a download link lives."""
        api = self.deployment.extra.get("api")
        minutes = api.get("download_link_minutes") if isinstance(api, dict) else None
        if minutes is None:
            from comity.services.productions.produce import DEFAULT_LINK_TTL  # noqa: PLC0415

            return DEFAULT_LINK_TTL
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
            raise ConfigurationError(
                f"api.download_link_minutes must be a whole number from 1 to 1440, got {minutes!r}"
            )
        return timedelta(minutes=minutes)

    @cached_property
    def productions(self) -> ProductionService:
        """Producing approved cases and delivering their packages (services.productions.produce)."""
        # The package writer pulls in fpdf (0.6 s); only producing needs it.
        from comity.adapters.package.production_writer import (  # noqa: PLC0415
            BagItPackageWriter,
        )

        key = self.control_plane_key

        def sign(authorization: Authorization) -> SignedAuthorization:
            return sign_authorization(authorization, key)

        from comity.adapters.controlplane.productions_repo import (  # noqa: PLC0415
            process_alive,
            this_process,
        )
        from comity.services.productions.produce import ProductionService  # noqa: PLC0415

        return ProductionService(
            uow=self.production_uow,
            clock=self.clock,
            agents=self.region_agent,
            sign=sign,
            writer=BagItPackageWriter(self.provider_key, [key.public], self.package_mode),
            provider=self.deployment.provider.name,
            issuer=f"control-plane {key.key_id}",
            out_dir=self.home / "productions",
            known_countries=known_countries(),
            link_ttl=self.download_link_ttl,
            on_published=self.write_log_proof,
            package_options=self.package_options,
            process=this_process,
            alive=process_alive,
            parts=self.region_parts,
            read=self.production_reader,
        )

    def write_log_proof(self, production: Production) -> None:
        """``<package>.tlog-proof``: the C2SP tlog-proof of the package's publication entry.

        A deployment without a log key signs no checkpoints, so there is nothing to prove in.
        """
        if self.audit_signer is None:
            return
        with self.reader() as uow:
            from comity.adapters.audit.production_proof import write_production_proof  # noqa: PLC0415

            write_production_proof(uow.session, production)

    def sweep_production_staging(self) -> list[Path]:
        """Remove what stopped productions left in the productions directory's staging (their
        decrypted records), except a run that still holds its lock; run at ``comity serve``
        start as well as before each production (issue 14: no plaintext outlives a
        production)."""
        from comity.adapters.package.writer import sweep_staging  # noqa: PLC0415

        return sweep_staging(self.home / "productions")

    @property
    def package_options(self) -> PackageOptions:
        """``[productions] mbox`` and ``sha512`` (true or false, default false): whether packages
        also hold each account's mbox and a SHA-512 manifest unless ``comity produce`` says."""
        section = self.deployment.extra.get("productions")
        chosen: dict[str, bool] = {}
        for name in ("mbox", "sha512"):
            raw = section.get(name, False) if isinstance(section, dict) else False
            if not isinstance(raw, bool):
                raise ConfigurationError(f"productions.{name} must be true or false, got {raw!r}")
            chosen[name] = raw
        return PackageOptions(**chosen)

    @property
    def package_mode(self) -> int:
        """``[productions] package_mode`` (an octal string, default "0600"): the file mode of
        packages, which hold disclosed records in clear unless encrypted to the requester."""
        section = self.deployment.extra.get("productions")
        raw = section.get("package_mode") if isinstance(section, dict) else None
        if raw is None:
            from comity.adapters.package.writer import DEFAULT_PACKAGE_MODE  # noqa: PLC0415

            return DEFAULT_PACKAGE_MODE
        try:
            mode = int(raw, 8) if isinstance(raw, str) else -1
        except ValueError:
            mode = -1
        if not 0 <= mode <= 0o666 or not mode & 0o600 == 0o600:
            raise ConfigurationError(
                'productions.package_mode must be an octal file mode string such as "0600" or '
                f'"0640" that lets the owner read and write, got {raw!r}'
            )
        return mode

    # --- case workflow (issue 6) ---

    def open_cases(self) -> list[str]:
        """Open, assessed by the rule pack, the case of every stored demand that has none."""
        from comity.services.cases.actions import ensure_case  # noqa: PLC0415

        law = self.law_context
        with self.intake_uow() as uow:
            pending = [
                d.id
                for d, _ in uow.intake.page_demands(DemandFilter(), None)
                if uow.cases.for_demand(d.id) is None
            ]
        lines = []
        for demand_id in pending:
            case = ensure_case(self.intake_uow, self.clock, demand_id, law)
            lines.append(f"case {case.case_id} opened for demand {demand_id} ({case.state.value})")
        return lines

    def notify_settings(self) -> NotifySettings:
        """``[notify]``: the warning window and the channels (checked, all problems at once)."""
        from comity.adapters.notify.settings import parse_notify  # noqa: PLC0415

        return parse_notify(self.deployment.extra.get("notify"), self.home)

    def alert_log(self, uow: SqlUnitOfWork) -> SqlAlertLog:
        """Which warnings were sent, inside ``uow``'s transaction."""
        from comity.adapters.controlplane.alerts_repo import SqlAlertLog  # noqa: PLC0415

        return SqlAlertLog(uow.session)

    # --- web console and portal (issue 8) ---

    @cached_property
    def console_uow(self) -> Callable[[], SqlConsoleUnitOfWork]:
        """Units of work with the intake and console repositories (sessions, TOTP, messages)."""
        from comity.adapters.controlplane.console_repo import console_uow_factory  # noqa: PLC0415

        return console_uow_factory(self.engine, self.clock.now, self.audit_signer, self.totp_sealer)

    @cached_property
    def console_reader(self) -> Callable[[], SqlConsoleUnitOfWork]:
        """Read-only console units of work: the session lookup every page makes takes no lock."""
        assert self.deployment.control_plane is not None
        from comity.adapters.controlplane.console_repo import console_uow_factory  # noqa: PLC0415

        return console_uow_factory(self.read_engine, self.clock.now, None, self.totp_sealer)

    @cached_property
    def totp_sealer(self) -> TotpSealer:
        """Seals staff and requesters' TOTP secrets at rest (``keys/console-totp.key``)."""
        return TotpSealer.at(self.home / "keys")


def open_deployment(home: Path, clock: Clock | None = None) -> Comity:
    """Load ``home/comity.toml`` and wire its adapters."""
    deployment = load_deployment(home / FILE_NAME if home.is_dir() else home)
    root = home if home.is_dir() else home.parent
    return Comity(root.resolve(), deployment, clock or SystemClock())


DEFAULT_TOML = """\
# Comity deployment (contract section 1). Stores and keys are relative to this file.
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE", "GB", "AU"]

[control_plane]
database = "sqlite:///control.db"

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"
"""


def initialise(
    home: Path, *, demo: bool, force: bool = False, log_url: str | None = None
) -> list[str]:
    """Create a deployment in ``home``; return what was made, one line each, for the user.

    ``log_url`` is where the audit log will be published (``[log] public_url``); the log's key,
    made here, takes its origin from it, as tlog-tiles recommends.
    """
    if log_url is not None:
        try:
            origin_from_url(log_url)
        except ValueError as exc:
            raise InvalidInput(f"--log-url: {exc}") from None
    home.mkdir(parents=True, exist_ok=True)
    toml_path = home / FILE_NAME
    if toml_path.exists() and not force:
        raise Conflict(f"{toml_path} already exists; use --force to overwrite it")
    # Imported here: the demo's modules (sign-ins, people) cost a command that is not init.
    from comity.demo.console import populate_demo_sign_ins  # noqa: PLC0415
    from comity.demo.deployment import DEMO_TOML, populate_demo  # noqa: PLC0415
    from comity.demo.people import populate_demo_people  # noqa: PLC0415

    text = DEMO_TOML if demo else DEFAULT_TOML
    if log_url is not None:
        text += f"\n[log]\npublic_url = {json.dumps(log_url)}\n"
    toml_path.write_text(text, encoding="utf-8")
    comity = open_deployment(home)
    made_key = comity.ensure_audit_key()
    comity.migrate()
    lines = [f"deployment: {toml_path}", f"control plane: {comity.deployment.control_plane}"]
    if made_key:
        lines.append(f"audit log key: {comity.audit_key_path} (keep secret; mode 0600)")
    lines += comity.signing_keys()
    lines += comity.prepare_regions()
    if demo:
        lines += populate_demo(comity.uow, comity.clock, comity.region_store)
        lines += populate_demo_people(comity.intake_uow, comity.clock)
        lines += comity.open_cases()
        lines += populate_demo_sign_ins(comity.console_uow, comity.clock)
    return lines
