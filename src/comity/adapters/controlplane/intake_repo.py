"""SQL implementation of the intake repository, and a unit of work that carries it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.cases_repo import SqlCaseRepository
from comity.adapters.controlplane.console_tables import SessionRow
from comity.adapters.controlplane.intake_tables import (
    AssessmentRow,
    AttachmentRow,
    AuthorityRow,
    DemandRow,
    TokenRow,
    UserRow,
)
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork
from comity.domain.fraud import FraudSign
from comity.domain.intake import (
    AssessmentRecord,
    Attachment,
    Callback,
    CallbackOutcome,
    DemandRecord,
    DemandStatus,
    Verification,
)
from comity.domain.registry import (
    Authority,
    AuthorityStatus,
    PublicKey,
    RegistryContact,
    StaffRole,
    User,
    UserStatus,
)
from comity.errors import Conflict
from comity.services.intake.ports import DemandFilter, DemandStatusView


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SqlIntakeRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- authorities ---------------------------------------------------------------------------
    def add_authority(self, authority: Authority, at: datetime) -> None:
        row = AuthorityRow(id=authority.id, created_at=at)
        self._fill_authority(row, authority)
        self._s.add(row)
        self._s.flush()

    def update_authority(self, authority: Authority) -> None:
        row = self._s.get(AuthorityRow, authority.id)
        if row is None:
            raise KeyError(authority.id)
        self._fill_authority(row, authority)
        self._s.flush()

    def get_authority(self, authority_id: str) -> Authority | None:
        row = self._s.get(AuthorityRow, authority_id)
        return None if row is None else _authority(row)

    def list_authorities(self) -> Sequence[Authority]:
        rows = self._s.scalars(select(AuthorityRow).order_by(AuthorityRow.id)).all()
        return [_authority(r) for r in rows]

    @staticmethod
    def _fill_authority(row: AuthorityRow, a: Authority) -> None:
        doc = a.to_document()
        row.name, row.country, row.kind, row.status = a.name, a.country, a.kind, a.status.value
        row.domains, row.contacts, row.keys = doc["domains"], doc["contacts"], doc["keys"]

    # -- users and tokens ----------------------------------------------------------------------
    def add_user(self, user: User, at: datetime) -> None:
        row = UserRow(id=user.id, created_at=at)
        self._fill_user(row, user)
        self._s.add(row)
        self._s.flush()

    def update_user(self, user: User) -> None:
        row = self._s.get(UserRow, user.id)
        if row is None:
            raise KeyError(user.id)
        self._fill_user(row, user)
        self._s.flush()

    def get_user(self, user_id: str) -> User | None:
        row = self._s.get(UserRow, user_id)
        return None if row is None else _user(row)

    def get_user_by_email(self, email: str) -> User | None:
        row = self._s.scalar(select(UserRow).where(UserRow.email == email.lower()))
        return None if row is None else _user(row)

    def list_users(self, agency_id: str | None = None) -> Sequence[User]:
        query = select(UserRow).order_by(UserRow.id)
        if agency_id is not None:
            query = query.where(UserRow.agency_id == agency_id)
        return [_user(r) for r in self._s.scalars(query).all()]

    @staticmethod
    def _fill_user(row: UserRow, u: User) -> None:
        row.name, row.email = u.name, u.email.lower()
        row.roles = sorted(r.value for r in u.roles)
        row.agency_id = u.agency_id
        row.may_file_emergency, row.may_download = u.may_file_emergency, u.may_download
        row.status, row.password_hash = u.status.value, u.password_hash

    def add_token(self, token_hash: str, user_id: str, label: str, at: datetime) -> None:
        self._s.add(TokenRow(token_hash=token_hash, user_id=user_id, label=label, created_at=at))
        self._s.flush()

    def revoke_credentials(self, user_id: str) -> int:
        # Sessions are the console's table, but ending them belongs to the same status change.
        gone = 0
        for table in (TokenRow, SessionRow):
            result = self._s.execute(delete(table).where(table.user_id == user_id))
            gone += int(getattr(result, "rowcount", 0) or 0)
        return gone

    def user_for_token(self, token_hash: str) -> User | None:
        # A prepared Core statement on the session's connection: this runs on every request.
        row = self._s.connection().execute(_USER_FOR_TOKEN, {"token_hash": token_hash}).first()
        return None if row is None else _user(row)  # type: ignore[arg-type]

    # -- demands -------------------------------------------------------------------------------
    def add_demand(self, record: DemandRecord, idempotency_key: str) -> None:
        seq = (self._s.scalar(select(func.max(DemandRow.seq))) or 0) + 1
        row = DemandRow(id=record.id, idempotency_key=idempotency_key, seq=seq)
        self._fill_demand(row, record)
        self._s.add(row)
        try:
            self._s.flush()
        except sa_exc.IntegrityError:
            # Two submissions of the same reference raced; the other one was stored first.
            raise Conflict(
                f"demand {record.reference!r} was filed at the same moment by another request; "
                "submit it again to get the stored demand"
            ) from None

    def update_demand(self, record: DemandRecord) -> None:
        row = self._s.get(DemandRow, record.id)
        if row is None:
            raise KeyError(record.id)
        self._fill_demand(row, record)
        self._s.flush()

    def find_demand(self, idempotency_key: str) -> DemandRecord | None:
        row = self._s.scalar(select(DemandRow).where(DemandRow.idempotency_key == idempotency_key))
        return None if row is None else _demand(row)

    def get_demand(self, demand_id: str) -> DemandRecord | None:
        row = self._s.execute(
            select(*DemandRow.__table__.c).where(DemandRow.id == demand_id)
        ).first()
        return None if row is None else _demand(row)  # type: ignore[arg-type]

    def get_demand_status(self, demand_id: str) -> DemandStatusView | None:
        row = self._s.connection().execute(_DEMAND_STATUS, {"demand_id": demand_id}).first()
        return None if row is None else DemandStatusView(*row)

    def page_demands(
        self,
        where: DemandFilter,
        limit: int | None,
        after: int | None = None,
        *,
        newest_first: bool = False,
    ) -> Sequence[tuple[DemandRecord, int]]:
        conditions = _demand_conditions(where)
        if after is not None:
            conditions.append(DemandRow.seq < after if newest_first else DemandRow.seq > after)
        order = DemandRow.seq.desc() if newest_first else DemandRow.seq
        query = select(DemandRow).where(*conditions).order_by(order)
        if limit is not None:
            query = query.limit(limit)
        return [(_demand(r), r.seq) for r in self._s.scalars(query)]

    def count_demands(self, where: DemandFilter) -> int:
        conditions = _demand_conditions(where)
        total = self._s.scalar(select(func.count()).select_from(DemandRow).where(*conditions))
        return int(total or 0)

    @staticmethod
    def _fill_demand(row: DemandRow, d: DemandRecord) -> None:
        row.reference, row.agency_id, row.submitted_by = d.reference, d.agency_id, d.submitted_by
        row.status, row.verification = d.status.value, d.verification.value
        row.emergency, row.document = d.emergency, d.document
        row.fraud_signs = [s.to_document() for s in d.fraud_signs]
        row.signature_key_id, row.verified_by = d.signature_key_id, d.verified_by
        row.callbacks = [c.to_document() for c in d.callbacks]
        row.disclosure_blocked_reason = d.disclosure_blocked_reason
        row.received_at, row.withdrawn_at = d.received_at, d.withdrawn_at

    # -- attachments and assessments -----------------------------------------------------------
    def add_attachment(self, attachment: Attachment, content: bytes) -> None:
        a = attachment
        self._s.add(
            AttachmentRow(
                id=a.id,
                demand_id=a.demand_id,
                filename=a.filename,
                media_type=a.media_type,
                size=a.size,
                sha256=a.sha256,
                content=content,
            )
        )
        self._s.flush()

    def list_attachments(self, demand_id: str) -> Sequence[Attachment]:
        rows = self._s.execute(
            select(
                AttachmentRow.id,
                AttachmentRow.demand_id,
                AttachmentRow.filename,
                AttachmentRow.media_type,
                AttachmentRow.size,
                AttachmentRow.sha256,
            )
            .where(AttachmentRow.demand_id == demand_id)
            .order_by(AttachmentRow.id)
        ).all()
        return [Attachment(*r) for r in rows]

    def get_attachment(self, demand_id: str, attachment_id: str) -> tuple[Attachment, bytes] | None:
        row = self._s.get(AttachmentRow, attachment_id)
        if row is None or row.demand_id != demand_id:
            return None
        meta = Attachment(row.id, row.demand_id, row.filename, row.media_type, row.size, row.sha256)
        return meta, row.content

    def add_assessment(self, record: AssessmentRecord) -> None:
        self._s.add(
            AssessmentRow(
                id=record.id,
                demand_id=record.demand_id,
                as_of=date.fromisoformat(record.as_of),
                rule_pack_digest=record.rule_pack_digest,
                document=record.document,
                created_by=record.created_by,
                created_at=record.created_at,
            )
        )
        self._s.flush()

    def get_assessment(self, assessment_id: str) -> AssessmentRecord | None:
        row = self._s.get(AssessmentRow, assessment_id)
        return None if row is None else _assessment(row)

    def list_assessments(self, demand_id: str) -> Sequence[AssessmentRecord]:
        rows = self._s.scalars(
            select(AssessmentRow)
            .where(AssessmentRow.demand_id == demand_id)
            .order_by(AssessmentRow.created_at, AssessmentRow.id)
        ).all()
        return [_assessment(r) for r in rows]


_USERS = UserRow.__table__
_TOKENS = TokenRow.__table__
_DEMANDS = DemandRow.__table__
#: Built once: composing a statement costs more than running it against SQLite.
_USER_FOR_TOKEN = (
    select(*_USERS.c)
    .select_from(_USERS.join(_TOKENS, _TOKENS.c.user_id == _USERS.c.id))
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)
_DEMAND_STATUS = select(
    _DEMANDS.c.id,
    _DEMANDS.c.agency_id,
    _DEMANDS.c.status,
    _DEMANDS.c.verification,
    _DEMANDS.c.disclosure_blocked_reason,
).where(_DEMANDS.c.id == bindparam("demand_id"))


def _authority(row: AuthorityRow) -> Authority:
    return Authority(
        row.id,
        row.name,
        row.country,
        row.kind,
        AuthorityStatus(row.status),
        tuple(row.domains),
        tuple(
            RegistryContact(c["name"], c.get("phone"), c.get("email"), c.get("source", ""))
            for c in row.contacts
        ),
        tuple(PublicKey(k["key_id"], k["ed25519"]) for k in row.keys),
    )


def _user(row: UserRow) -> User:
    return User(
        row.id,
        row.name,
        row.email,
        frozenset(StaffRole(r) for r in row.roles),
        row.agency_id,
        row.may_file_emergency,
        row.may_download,
        UserStatus(row.status),
        row.password_hash,
    )


def _demand(row: DemandRow) -> DemandRecord:
    return DemandRecord(
        id=row.id,
        reference=row.reference,
        document=row.document,
        received_at=_aware(row.received_at),
        submitted_by=row.submitted_by,
        agency_id=row.agency_id,
        status=DemandStatus(row.status),
        verification=Verification(row.verification),
        emergency=row.emergency,
        fraud_signs=tuple(FraudSign(s["code"], s["message"]) for s in row.fraud_signs),
        signature_key_id=row.signature_key_id,
        verified_by=row.verified_by,
        callbacks=tuple(
            Callback(
                c["contact"],
                CallbackOutcome(c["outcome"]),
                c["by"],
                datetime.fromisoformat(c["at"]),
                c.get("note", ""),
            )
            for c in row.callbacks
        ),
        withdrawn_at=_aware(row.withdrawn_at) if row.withdrawn_at else None,
    )


def _assessment(row: AssessmentRow) -> AssessmentRecord:
    return AssessmentRecord(
        row.id,
        row.demand_id,
        row.as_of.isoformat(),
        row.rule_pack_digest,
        row.document,
        row.created_by,
        _aware(row.created_at),
    )


class SqlIntakeUnitOfWork(SqlUnitOfWork):
    """The control-plane unit of work plus the intake and case repositories, on one session."""

    intake: SqlIntakeRepository
    cases: SqlCaseRepository

    def __enter__(self) -> SqlIntakeUnitOfWork:
        super().__enter__()
        self.intake = SqlIntakeRepository(self.session)
        self.cases = SqlCaseRepository(self.session)
        return self


def intake_uow_factory(
    engine: Engine, now: Callable[[], datetime], signer: NoteSigner | None = None
) -> Callable[[], SqlIntakeUnitOfWork]:
    """Like ``uow_factory``: with ``signer``, each commit that appended signs a checkpoint."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: SqlIntakeUnitOfWork(sessions, now, signer)


def _demand_conditions(where: DemandFilter) -> list[Any]:
    """The WHERE clauses of a demand list's filter."""
    conditions: list[Any] = []
    if where.status is not None:
        conditions.append(DemandRow.status == where.status)
    if where.emergency is not None:
        conditions.append(DemandRow.emergency == where.emergency)
    if where.agency_id is not None:
        conditions.append(DemandRow.agency_id == where.agency_id)
    if where.reference is not None:
        conditions.append(DemandRow.reference == where.reference)
    if where.blocked is not None:
        blocked = DemandRow.disclosure_blocked_reason
        conditions.append(blocked.is_not(None) if where.blocked else blocked.is_(None))
    if where.received_from is not None:
        conditions.append(DemandRow.received_at >= where.received_from)
    if where.received_before is not None:
        conditions.append(DemandRow.received_at < where.received_before)
    return conditions
