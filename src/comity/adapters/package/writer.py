"""The package writer: records in, one deterministic, signed, BagIt archive out.

Why not ``bagit.make_bag``: it hashes by reading every payload file back (twice the I/O for a
mailbox), stamps the bag with today's date and its own version, and orders manifests by a
multiprocessing walk; a production must be streaming and byte-for-byte reproducible. So the layout
is written here, following RFC 8493, and the tests check the result with the Library of Congress's
``bagit`` validator.

Streaming: each record goes to disk as it arrives (its .eml, its mbox entry, a line of its
category's spool, a row of the index) and is hashed while written; memory holds one record and a
few hash states per account, never the mailbox.

Crash safety: everything is built in ``.<name>.incomplete`` beside the output, and the finished
archive is fsynced and renamed onto the output name, the only step that marks it complete. A run
killed at any point leaves at most that staging directory, which the next run removes; as every
byte follows from the inputs, the re-run gives the same archive.

No plaintext outlives a production: the staging directory (decrypted mail) is created 0700 and
removed on every path out of ``produce_package``; ``remove_staging`` and ``sweep_staging`` remove
what a killed run left, never a directory whose production still runs (its lock is held). The
package itself is written 0600 unless the operator chooses another mode.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from comity.adapters.package import formats, layout
from comity.adapters.package.archive import (
    Spool,
    StreamingArchive,
    order_key,
    write_canonical,
)
from comity.adapters.package.certificate import (
    CertifiedFile,
    Custodian,
    DemandInfo,
    certificate_pdf,
    certificate_text,
    period_text,
)
from comity.adapters.package.files import (
    Appenders,
    Digests,
    HashedFile,
    digests_of,
    write_hashed,
)
from comity.adapters.signing.authorizations import verify_authorization
from comity.adapters.signing.ed25519 import PublicKey, SigningKey
from comity.domain.accounts import ACCOUNT_ID
from comity.domain.audit import canonical_json
from comity.domain.authorization import Authorization, PackageOptions, SignedAuthorization
from comity.domain.categories import Category
from comity.domain.deployment import REGION_ID
from comity.domain.records import MEDIA_TYPE_JSON, MEDIA_TYPE_MESSAGE, Record
from comity.errors import Conflict, Forbidden, InvalidInput

SOFTWARE = "Comity 0.1.0 (https://github.com/comity)"
#: A package holds the disclosed records in clear (unless encrypted to the requester): only the
#: service account reads it unless the operator configures a wider mode.
DEFAULT_PACKAGE_MODE = 0o600
STAGING_SUFFIX = ".incomplete"


@dataclass(frozen=True)
class ProductionRequest:
    """Everything a package depends on besides its records; the same request gives the same bytes.

    ``produced_at`` is fixed by the caller (recorded with the production) so a re-run after a crash
    stamps the same time.
    """

    authorization: SignedAuthorization
    demand: DemandInfo
    custodian: Custodian
    produced_at: datetime


@dataclass(frozen=True)
class ProducedPackage:
    path: Path
    sha256: str
    size: int
    record_count: int


def staging_dir(out: Path) -> Path:
    return out.parent / f".{out.name}{STAGING_SUFFIX}"


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def remove_staging(out: Path) -> bool:
    """Remove what a run of ``out`` left in staging unless that run still holds its lock; True if
    nothing is left."""
    staging = staging_dir(out)
    if not staging.exists():
        return True
    try:
        with _exclusive(out):
            shutil.rmtree(staging, ignore_errors=True)
    except Conflict:
        return False  # its production is running: its own cleanup removes it
    return not staging.exists()


def sweep_staging(directory: Path) -> list[Path]:
    """Remove every staging directory in ``directory`` whose production no longer runs (what a
    crash left, decrypted mail included); return those removed."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for staging in sorted(directory.glob(f".*{STAGING_SUFFIX}")):
        if not staging.is_dir():
            continue
        out = directory / staging.name[1 : -len(STAGING_SUFFIX)]
        if remove_staging(out):
            removed.append(staging)
    return removed


def produce_package(
    out: Path,
    request: ProductionRequest,
    records: Iterable[tuple[str, Iterable[Record]]],
    *,
    signing_key: SigningKey,
    control_plane_keys: list[PublicKey],
    mode: int = DEFAULT_PACKAGE_MODE,
) -> ProducedPackage:
    """Write the package for ``records`` (grouped by region) to ``out`` (file mode ``mode``) and
    return its digest.

    Refuses (``Forbidden``) any record the authorization does not cover, and any authorization that
    does not verify or is not current at ``request.produced_at``.
    """
    if out.exists():
        raise Conflict(f"{out} already exists; a package is never overwritten")
    if request.produced_at.tzinfo is None:
        raise InvalidInput("produced_at must be timezone-aware")
    auth = verify_authorization(
        request.authorization, control_plane_keys, now=request.produced_at, region=None
    )
    control_plane_key = next(
        k for k in control_plane_keys if k.key_id == request.authorization.key_id
    )
    with _exclusive(out):
        return _produce(
            out,
            auth,
            request=request,
            records=records,
            signing_key=signing_key,
            control_plane_key=control_plane_key,
            mode=mode,
        )


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` so two productions of one package never share a staging directory.

    The kernel drops the lock when its holder dies, even by SIGKILL, so a crash never blocks the
    re-run; the empty lock file marks nothing complete.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_path(out), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another production of {out} is running") from None
        yield
    finally:
        os.close(fd)


def _produce(
    out: Path,
    auth: Authorization,
    *,
    request: ProductionRequest,
    records: Iterable[tuple[str, Iterable[Record]]],
    signing_key: SigningKey,
    control_plane_key: PublicKey,
    mode: int,
) -> ProducedPackage:
    if out.exists():
        raise Conflict(f"{out} already exists; a package is never overwritten")
    staging = staging_dir(out)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    os.chmod(staging, 0o700)  # whatever the umask: decrypted mail is the service's alone
    try:
        builder = _build(
            staging,
            auth,
            request=request,
            records=records,
            signing_key=signing_key,
            control_plane_key=control_plane_key,
            mode=mode,
        )
        tmp = staging / "package.tar"
        digest = builder.archive_sha256
        size = tmp.stat().st_size
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    finally:
        # Success, a refused record, a bad input, an interrupt: nothing stays in staging. A
        # SIGKILL cannot get here; ``sweep_staging`` removes what it leaves.
        shutil.rmtree(staging, ignore_errors=True)
    return ProducedPackage(out, digest, size, builder.record_count)


def _build(
    staging: Path,
    auth: Authorization,
    *,
    request: ProductionRequest,
    records: Iterable[tuple[str, Iterable[Record]]],
    signing_key: SigningKey,
    control_plane_key: PublicKey,
    mode: int,
) -> _BagBuilder:
    bag = staging / layout.bag_name(auth.id)
    archive = staging / "package.tar"
    mtime = int(request.produced_at.timestamp())
    fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask never narrows or widens what the operator chose
        if auth.package is None:
            return _build_first_format(
                bag, fd, auth, request, records, signing_key, control_plane_key, mtime
            )
        # The second format (docs/adr/0004): messages go straight into the archive as they
        # arrive; the archive's SHA-256 is computed as it is written.
        sink = StreamingArchive(fd, root=bag.name, mtime=mtime)
        try:
            builder = _BagBuilder(bag, staging / "spool", auth, archive=sink)
            for region, region_records in records:
                builder.region(region, region_records)
            builder.finish(request, signing_key, control_plane_key)
            for name in sorted(_files_under(bag), key=order_key):
                sink.add_file(name, bag / name)
            builder.archive_sha256 = sink.close()
        except BaseException:
            sink.abort()
            raise
        os.fsync(fd)
        return builder
    finally:
        os.close(fd)


def _files_under(bag: Path) -> list[str]:
    return [p.relative_to(bag).as_posix() for p in bag.rglob("*") if not p.is_dir()]


def _build_first_format(  # noqa: PLR0917 (the production's inputs)
    bag: Path,
    fd: int,
    auth: Authorization,
    request: ProductionRequest,
    records: Iterable[tuple[str, Iterable[Record]]],
    signing_key: SigningKey,
    control_plane_key: PublicKey,
    mtime: int,
) -> _BagBuilder:
    """The first package format, for authorizations issued before package options: messages
    spooled per account, then the whole bag written as a canonical tar and read back to hash."""
    builder = _BagBuilder(bag, bag.parent / "spool", auth)
    for region, region_records in records:
        builder.region(region, region_records)
    builder.finish(request, signing_key, control_plane_key)
    write_canonical(bag, fd, mtime=mtime, spools=builder.content)
    # The archive's SHA-256 reads it back from the page cache while the disk syncs: both
    # release the GIL, so the hash costs no wall time beside the fsync.
    with ThreadPoolExecutor(1, thread_name_prefix="comity-sha256") as pool:
        digest = pool.submit(_sha256_file, bag.parent / "package.tar")
        os.fsync(fd)
        builder.archive_sha256 = digest.result()
    return builder


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _BagBuilder:
    """Writes a bag's files as records arrive. ``archive`` given: the second format, messages
    straight into it; else the first, messages spooled per account for ``write_canonical``."""

    def __init__(
        self, bag: Path, spool: Path, auth: Authorization, archive: StreamingArchive | None = None
    ) -> None:
        self.bag = bag
        self.spool = spool
        self.auth = auth
        self.archive = archive
        # The first format (no options in the authorization) always has both.
        options = auth.package or PackageOptions(mbox=True, sha512=True)
        self.with_mbox = options.mbox
        self.sha512 = options.sha512
        self.algorithms = layout.algorithms(sha512=options.sha512)
        self.regions_seen: set[str] = set()
        self.mboxes = Appenders(sha512=self.sha512)
        self.mbox_paths: dict[str, Path] = {}
        self.spools = Appenders(hashing=False)
        self.content: dict[str, Spool] = {}
        self.content_counts: dict[str, int] = {}
        self.spool_keys: dict[Path, tuple[str, str, Category]] = {}
        self.field_names: dict[Path, set[str]] = {}
        self.manifests = {
            a: HashedFile(bag / layout.manifest_name(a), sha512=self.sha512)
            for a in self.algorithms
        }
        self.index = HashedFile(bag / layout.INDEX, sha512=self.sha512)
        # The second format's index carries each message's envelope line; the first's stays
        # as it was (its mbox has the rebuilt line), so a resumed production keeps its bytes.
        self.envelopes = auth.package is not None
        columns = layout.STREAMED_INDEX_COLUMNS if self.envelopes else layout.INDEX_COLUMNS
        self.index.write(formats.csv_line(list(columns)))
        self.record_count = 0
        self.archive_sha256 = ""
        self.payload_bytes = 0
        self.payload_files = 0
        self.certified: list[CertifiedFile] = []

    def _manifest(self, path: str, digests: Digests, *, certify: bool = False) -> None:
        """List ``path`` in each payload manifest (and in the certificate if ``certify``)."""
        for algorithm, out in self.manifests.items():
            out.write(f"{digests.of(algorithm)}  {path}\n".encode())
        self.payload_bytes += digests.size
        self.payload_files += 1
        if certify:
            self.certified.append(CertifiedFile(path, digests.sha256, digests.size))

    def region(self, region: str, records: Iterable[Record]) -> None:
        if region in self.regions_seen:
            raise InvalidInput(f"records of region {region} came in two groups; group by region")
        if not REGION_ID.match(region):
            raise InvalidInput(f"{region!r} is not a region id")
        self.regions_seen.add(region)
        for record in records:
            self.record(region, record)

    def record(self, region: str, record: Record) -> None:
        if not ACCOUNT_ID.match(record.account_id):
            raise InvalidInput(f"record {record.id}: {record.account_id!r} is not an account id")
        if record.occurred_at.tzinfo is None:
            raise InvalidInput(f"record {record.id}: occurred_at has no time zone")
        refusal = self.auth.refusal(region, record.account_id, record.category, record.occurred_at)
        if refusal is not None:
            raise Forbidden(f"record {record.id} may not be released: {refusal}")
        envelope = self._envelope(record)
        if record.category is Category.CONTENT:
            path, sha256 = self._content(region, record, envelope)
        else:
            path, sha256 = self._structured(region, record)
        row = [
            record.id,
            region,
            record.account_id,
            record.category.value,
            formats.timestamp(record.occurred_at),
            path,
            sha256,
            record.warning or "",
        ]
        if self.envelopes:
            row.append("" if envelope is None else envelope.decode())
        self.index.write(formats.csv_line(row))
        self.record_count += 1

    def _envelope(self, record: Record) -> bytes | None:
        """The message's mbox envelope line as ingested, in the second format: a line that
        cannot be written back as one UTF-8 line is left out (the mbox gets a rebuilt one)."""
        if not self.envelopes or record.category is not Category.CONTENT:
            return None
        if record.envelope is None or not formats.valid_envelope(record.envelope):
            return None
        return record.envelope

    def _content(self, region: str, record: Record, envelope: bytes | None) -> tuple[str, str]:
        if record.media_type != MEDIA_TYPE_MESSAGE:
            raise InvalidInput(f"record {record.id}: content must be {MEDIA_TYPE_MESSAGE}")
        directory = layout.content_dir(region, record.account_id)
        seq = self.content_counts.get(directory, 0) + 1
        self.content_counts[directory] = seq
        name = layout.eml_name(seq, record.id)
        path = f"{directory}/{name}"
        body = record.body
        if self.archive is not None:
            self.archive.add(path, body)
        else:
            self._spool_content(directory, region, record.account_id, name, body)
        digests = digests_of(body, sha512=self.sha512)
        self._manifest(path, digests)
        if self.with_mbox:
            mbox = self.mbox_paths.get(directory)
            if mbox is None:
                mbox = self.mbox_paths[directory] = self.bag / layout.mbox_path(
                    region, record.account_id
                )
            self.mboxes.write(mbox, formats.mbox_entry(body, record.occurred_at, envelope))
        return path, digests.sha256

    def _spool_content(
        self, directory: str, region: str, account: str, name: str, body: bytes
    ) -> None:
        spool = self.content.get(directory)
        if spool is None:
            (self.bag / directory).mkdir(parents=True)
            base = self.spool / region / account
            base.mkdir(parents=True, exist_ok=True)
            spool = self.content[directory] = Spool(base / "content.bin", base / "content.idx")
        self.spools.write(spool.data, body)
        self.spools.write(spool.index, f"{name} {len(body)}\n".encode())

    def _structured(self, region: str, record: Record) -> tuple[str, str]:
        if record.media_type != MEDIA_TYPE_JSON:
            raise InvalidInput(f"record {record.id}: {record.category} must be {MEDIA_TYPE_JSON}")
        try:
            fields = json.loads(record.body)
        except ValueError:
            fields = None
        if not isinstance(fields, dict) or canonical_json(fields) != record.body:
            raise InvalidInput(f"record {record.id}: body is not the canonical JSON of an object")
        spool = self.spool / region / record.account_id / f"{record.category.value}.jsonl"
        self.spool_keys[spool] = (region, record.account_id, record.category)
        self.field_names.setdefault(spool, set()).update(fields)
        self.spools.write(spool, formats.json_entry(record.id, record.occurred_at, fields) + b"\n")
        return layout.json_path(region, record.account_id, record.category), hashlib.sha256(
            record.body
        ).hexdigest()

    def finish(
        self, request: ProductionRequest, signing_key: SigningKey, control_plane_key: PublicKey
    ) -> None:
        for path, digests in self.mboxes.close().items():
            self._manifest(path.relative_to(self.bag).as_posix(), digests, certify=True)
        self.spools.close()
        for spool in self.spool_keys:
            self._structured_files(spool)
        index = self.index.close()
        self._manifest(layout.INDEX, index, certify=True)
        manifests = {a: out.close() for a, out in self.manifests.items()}
        tags: dict[str, Digests] = {}
        for algorithm, digests in manifests.items():
            tags[layout.manifest_name(algorithm)] = digests

        def tag(name: str, data: bytes) -> None:
            tags[name] = write_hashed(self.bag / name, data, sha512=self.sha512)

        demand = request.demand
        tag("bagit.txt", layout.BAGIT_TXT)
        tag("bag-info.txt", self._bag_info(request, signing_key))
        tag(layout.AUTHORIZATION, request.authorization.to_bytes())
        tag(layout.PROVIDER_KEY, signing_key.public.pem())
        tag(layout.CONTROL_PLANE_KEY, control_plane_key.pem())
        text = certificate_text(
            custodian=request.custodian,
            demand=demand,
            authorization_id=self.auth.id,
            produced_at=request.produced_at,
            record_count=self.record_count,
            payload_bytes=self.payload_bytes,
            manifests=[
                CertifiedFile(layout.manifest_name(a), d.sha256, d.size)
                for a, d in manifests.items()
            ],
            files=self.certified,
            options=self.auth.package,
        )
        tag(layout.CERTIFICATE_TXT, text.encode())
        tag(
            layout.CERTIFICATE_PDF,
            certificate_pdf(
                text,
                produced_at=request.produced_at,
                title=f"Certificate of authenticity, demand {demand.reference}",
            ),
        )
        for algorithm in self.algorithms:
            lines = "".join(f"{d.of(algorithm)}  {name}\n" for name, d in sorted(tags.items()))
            (self.bag / layout.tagmanifest_name(algorithm)).write_text(lines)
        signed_name = layout.signed_tag_manifest(self.algorithms)
        signed = (self.bag / signed_name).read_bytes()
        signature = base64.b64encode(signing_key.sign(signed)) + b"\n"
        (self.bag / layout.signature_name(signed_name)).write_bytes(signature)

    def _structured_files(self, spool: Path) -> None:
        region, account, category = self.spool_keys[spool]
        json_rel = layout.json_path(region, account, category)
        out = HashedFile(self.bag / json_rel, sha512=self.sha512)
        with spool.open("rb") as lines:
            for piece in formats.json_file(line.rstrip(b"\n") for line in lines):
                out.write(piece)
        self._manifest(json_rel, out.close(), certify=True)
        if category not in layout.CSV_CATEGORIES:
            return
        csv_rel = layout.csv_path(region, account, category)
        header = formats.csv_header(self.field_names[spool])
        out = HashedFile(self.bag / csv_rel, sha512=self.sha512)
        out.write(formats.csv_line(header))
        with spool.open("rb") as lines:
            for line in lines:
                out.write(formats.csv_row(header, formats.parse_json_line(line)))
        self._manifest(csv_rel, out.close(), certify=True)

    def _bag_info(self, request: ProductionRequest, signing_key: SigningKey) -> bytes:
        demand = request.demand
        fields = [
            ("Source-Organization", request.custodian.provider),
            ("Contact-Name", request.custodian.name),
            ("External-Identifier", demand.reference),
            (
                "External-Description",
                f"Production of records for demand {demand.reference} of {demand.authority}",
            ),
            ("Bagging-Date", request.produced_at.date().isoformat()),
            ("Bag-Software-Agent", SOFTWARE),
            ("Payload-Oxum", f"{self.payload_bytes}.{self.payload_files}"),
            ("Comity-Demand-Reference", demand.reference),
            ("Comity-Demand-Authority", demand.authority),
            ("Comity-Demand-Period", period_text(demand.period)),
            ("Comity-Authorization-Id", self.auth.id),
            ("Comity-Produced-At", formats.timestamp(request.produced_at)),
            ("Comity-Regions", " ".join(sorted(self.regions_seen))),
            ("Comity-Record-Count", str(self.record_count)),
            ("Comity-Signing-Key", signing_key.key_id),
        ]
        if self.auth.package is not None:
            fields += [
                ("Comity-Package-Format", layout.STREAMED_FORMAT),
                ("Comity-Package-Options", layout.options_text(self.auth.package)),
            ]
        lines = []
        for label, value in fields:
            if "\n" in value or "\r" in value:
                raise InvalidInput(f"{label} must be a single line")
            lines.append(f"{label}: {value}\n")
        return "".join(lines).encode()
