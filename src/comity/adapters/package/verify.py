"""``comity verify``: is this package complete, unaltered, signed by the provider and within its
authorization? Stops at the first problem and names it in one sentence.

Order of checks (each relies on the ones before):
1. the archive is in canonical form (archive.extract_canonical), so no byte of it goes unchecked;
2. bagit.txt, the tag manifests and every tag file's hashes: SHA-256, and SHA-512 where the
   package has it (the first format always; the second when its options chose it) (RFC 8493
   sections 2.2.1, 2.2.4, 3);
3. the Ed25519 signature over the strongest tag manifest (tagmanifest-sha512.txt when present,
   else tagmanifest-sha256.txt), against the provider's published key (or, when none is given,
   the key inside the package, which proves integrity but not origin);
4. completeness of the payload: every file listed, nothing extra, every hash (RFC 8493 section 3);
5. the authorization's signature by the control plane, and that it is the one bag-info names;
6. that every record lies within the authorization (region, account, category, period), that
   the derived files (mbox, JSON, CSV) are exactly what the listed records give, and that every
   hash the certificate certifies is the real one.
A malformed package that its signer built (so every signature holds) still gets one sentence,
never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from comity.adapters.package import formats, layout
from comity.adapters.package.archive import extract_archive, order_key
from comity.adapters.signing.authorizations import verify_authorization
from comity.adapters.signing.ed25519 import PublicKey, verify_signature
from comity.domain.authorization import Authorization, SignedAuthorization
from comity.domain.categories import Category
from comity.errors import IntegrityError, InvalidInput, NotFound

_REQUIRED_TAGS = (
    "bagit.txt",
    "bag-info.txt",
    layout.AUTHORIZATION,
    layout.PROVIDER_KEY,
    layout.CONTROL_PLANE_KEY,
    layout.CERTIFICATE_TXT,
    layout.CERTIFICATE_PDF,
)
_NAMES = {"sha256": "SHA-256", "sha512": "SHA-512"}
_UNLISTED_TAGS = {layout.tagmanifest_name(a) for a in layout.ALGORITHMS} | {
    layout.signature_name(layout.tagmanifest_name(a)) for a in layout.ALGORITHMS
}


@dataclass(frozen=True)
class Verified:
    bag: str
    record_count: int
    authorization: Authorization
    signing_key: str
    key_given: bool
    #: bag-info's Comity-Package-Format; "1" for packages without one (the first format).
    package_format: str = "1"


@dataclass(frozen=True)
class IndexRow:
    record_id: str
    region: str
    account: str
    category: Category
    occurred_at: str
    path: str
    sha256: str
    warning: str
    envelope: str = ""


def verify_package(
    path: Path,
    *,
    keys: list[PublicKey] | None = None,
    authorization_keys: list[PublicKey] | None = None,
) -> Verified:
    """Verify a package archive (or an extracted bag directory); ``IntegrityError`` if invalid."""
    if not path.exists():
        raise NotFound(f"package {path} does not exist")
    try:
        if path.is_dir():
            return verify_bag(path, keys=keys, authorization_keys=authorization_keys)
        with tempfile.TemporaryDirectory(prefix="comity-verify-") as tmp:
            bag, order = extract_archive(path, Path(tmp))
            verified = verify_bag(bag, keys=keys, authorization_keys=authorization_keys)
            _check_archive_order(bag, verified, order)
            return verified
    except InvalidInput as exc:
        # Only a package that its signer built wrongly gets here (e.g. a garbled embedded key).
        raise IntegrityError(f"the package is malformed: {exc.message}") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"the package is malformed: {exc}") from None


def _check_archive_order(bag: Path, verified: Verified, order: list[str] | None) -> None:
    """The archive's member order is the one its format defines, so the archive stays one
    fixed sequence of bytes for the bag: the first format's is checked while extracting
    (directories, depth first, sorted); the second's is each message in index order, then every
    other file sorted (``archive.StreamingArchive``)."""
    if verified.package_format == layout.STREAMED_FORMAT:
        if order is None:
            raise IntegrityError(
                f"the archive of a format {layout.STREAMED_FORMAT} package must hold its files "
                "without directory entries, messages first"
            )
        messages = [r.path for r in read_index(bag) if r.category is Category.CONTENT]
        listed = set(messages)
        rest = sorted((name for name in order if name not in listed), key=order_key)
        expected = messages + rest
        for position, (found, wanted) in enumerate(zip(order, expected, strict=True)):
            if found != wanted:
                raise IntegrityError(
                    f"archive entry {position + 1} is {found}, where the canonical order has "
                    f"{wanted}"
                )
    elif order is not None:
        raise IntegrityError("the archive's first entry is not the bag directory")


def _hash_file(path: Path, algorithms: tuple[str, ...] = layout.ALGORITHMS) -> tuple[str, ...]:
    hashes = [hashlib.new(a) for a in algorithms]
    with path.open("rb") as src:
        while chunk := src.read(1 << 20):
            for h in hashes:
                h.update(chunk)
    return tuple(h.hexdigest() for h in hashes)


def _read_manifest(bag: Path, name: str, algorithm: str) -> dict[str, str]:
    target = bag / name
    if not target.is_file():
        raise IntegrityError(f"{name} is missing")
    width = 64 if algorithm == "sha256" else 128
    entries: dict[str, str] = {}
    try:
        text = target.read_text("utf-8")
    except UnicodeDecodeError:
        raise IntegrityError(f"{name} is not UTF-8 text") from None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        digest, sep, file = line.rstrip("\n").partition("  ")
        if (
            not line.endswith("\n")
            or not sep
            or len(digest) != width
            or digest.strip("0123456789abcdef")
            or not file
        ):
            raise IntegrityError(f"{name} line {number} is not '<{algorithm}>  <path>'")
        if file in entries:
            raise IntegrityError(f"{name} lists {file} twice")
        entries[file] = digest
    return entries


def _bag_info(bag: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    for number, line in enumerate((bag / "bag-info.txt").read_text("utf-8").splitlines(), 1):
        label, sep, value = line.partition(": ")
        if not sep or label in info:
            raise IntegrityError(f"bag-info.txt line {number} is not a single 'Label: value'")
        info[label] = value
    return info


def verify_bag(
    bag: Path,
    *,
    keys: list[PublicKey] | None = None,
    authorization_keys: list[PublicKey] | None = None,
) -> Verified:
    bagit_txt = bag / "bagit.txt"
    if not bagit_txt.is_file():
        raise IntegrityError(f"{bag.name} is not a bag: bagit.txt is missing")
    # 2. tag manifests and tag files. The signature's name says which tag manifest is signed:
    # SHA-512's when the package has both algorithms, else SHA-256's (docs/adr/0004).
    with_sha512 = (bag / layout.SIGNATURE).exists() or (
        bag / layout.tagmanifest_name("sha512")
    ).exists()
    algorithms = layout.algorithms(sha512=with_sha512)
    tag_manifests = {a: _read_manifest(bag, layout.tagmanifest_name(a), a) for a in algorithms}
    if len({frozenset(m) for m in tag_manifests.values()}) > 1:
        raise IntegrityError("tagmanifest-sha256.txt and tagmanifest-sha512.txt list other files")
    listed_tags = set(tag_manifests["sha256"])
    for name in (*_REQUIRED_TAGS, *(layout.manifest_name(a) for a in algorithms)):
        if name not in listed_tags:
            raise IntegrityError(f"tag file {name} is not listed in the tag manifests")
    for child in sorted(bag.iterdir()):
        if child.name != "data" and child.name not in listed_tags | _UNLISTED_TAGS:
            raise IntegrityError(f"{child.name} is not a file of the bag (not in the tag manifest)")
    for name in sorted(listed_tags):
        target = bag / name
        if not target.is_file():
            raise IntegrityError(f"tag file {name} is listed in the tag manifest but missing")
        actual = dict(zip(algorithms, _hash_file(target, algorithms), strict=True))
        for algorithm in algorithms:
            if actual[algorithm] != tag_manifests[algorithm][name]:
                raise IntegrityError(
                    f"tag file {name} does not match its {_NAMES[algorithm]} in "
                    f"{layout.tagmanifest_name(algorithm)}"
                )
    if bagit_txt.read_bytes() != layout.BAGIT_TXT:
        raise IntegrityError("bagit.txt does not declare BagIt 1.0 in UTF-8")
    info = _bag_info(bag)
    # 3. the provider's signature
    key_given = keys is not None
    if keys is None:
        keys = [PublicKey.from_pem((bag / layout.PROVIDER_KEY).read_bytes(), source="provider key")]
    signed_manifest = layout.signed_tag_manifest(algorithms)
    signature_name = layout.signature_name(signed_manifest)
    signature_file = bag / signature_name
    if not signature_file.is_file():
        raise IntegrityError(f"the package has no signature ({signature_name} is missing)")
    try:
        signature = base64.b64decode(signature_file.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        raise IntegrityError(f"{signature_name} is not base64") from None
    if signature_file.read_bytes() != base64.b64encode(signature) + b"\n":
        raise IntegrityError(f"{signature_name} is not a single base64 line")
    for other in _UNLISTED_TAGS - {signature_name, *map(layout.tagmanifest_name, algorithms)}:
        if (bag / other).exists():
            raise IntegrityError(f"{other} is not a file of this package")
    signer = verify_signature(
        keys,
        info.get("Comity-Signing-Key", "(none)"),
        (bag / signed_manifest).read_bytes(),
        signature,
        what="the package",
    )
    # 4. payload completeness and hashes
    manifests = {a: _read_manifest(bag, layout.manifest_name(a), a) for a in algorithms}
    if len({frozenset(m) for m in manifests.values()}) > 1:
        raise IntegrityError("manifest-sha256.txt and manifest-sha512.txt list other files")
    listed = manifests["sha256"]
    present = sorted(
        p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if not p.is_dir()
    )
    for name in present:
        if name not in listed:
            raise IntegrityError(f"payload file {name} is not listed in the manifest")
    present_set = set(present)
    total = 0
    for name in listed:
        if not name.startswith("data/"):
            raise IntegrityError(f"the manifest lists {name}, which is outside data/")
        if name not in present_set:
            raise IntegrityError(f"payload file {name} is listed in the manifest but missing")
        actual = dict(zip(algorithms, _hash_file(bag / name, algorithms), strict=True))
        total += (bag / name).stat().st_size
        for algorithm in algorithms:
            if actual[algorithm] != manifests[algorithm][name]:
                raise IntegrityError(
                    f"payload file {name} does not match its {_NAMES[algorithm]} in "
                    f"{layout.manifest_name(algorithm)}"
                )
    if info.get("Payload-Oxum") != f"{total}.{len(listed)}":
        raise IntegrityError(
            f"bag-info.txt Payload-Oxum {info.get('Payload-Oxum')} does not match the payload "
            f"({total}.{len(listed)})"
        )
    # 5. the authorization
    signed = SignedAuthorization.from_bytes((bag / layout.AUTHORIZATION).read_bytes())
    if authorization_keys is None:
        authorization_keys = [
            PublicKey.from_pem(
                (bag / layout.CONTROL_PLANE_KEY).read_bytes(), source="control-plane key"
            )
        ]
    auth = verify_authorization(signed, authorization_keys, now=None, region=None)
    for label, value in (
        ("Comity-Authorization-Id", auth.id),
        ("Comity-Demand-Reference", auth.demand_reference),
    ):
        if info.get(label) != value:
            raise IntegrityError(
                f"bag-info.txt {label} {info.get(label)!r} does not match the authorization's "
                f"{value!r}"
            )
    package_format, with_mbox = _check_options(auth, info, algorithms)
    # 6. records within the authorization, derived files exact; the certificate's hashes
    count = _check_records(bag, auth, listed, info, with_mbox=with_mbox)
    _check_certificate(bag, listed, tag_manifests["sha256"], algorithms)
    return Verified(bag.name, count, auth, signer.key_id, key_given, package_format)


def _check_options(
    auth: Authorization, info: dict[str, str], algorithms: tuple[str, ...]
) -> tuple[str, bool]:
    """The package format and options bag-info declares (signed with it) are the ones the
    authorization chose, and the manifests present are the ones they call for. Returns the
    format and whether each account has an mbox."""
    declared = info.get("Comity-Package-Format")
    if declared is None:
        if auth.package is not None:
            raise IntegrityError(
                "the authorization chose package options but bag-info.txt names no "
                "Comity-Package-Format"
            )
        if algorithms != layout.ALGORITHMS:  # the first format always carries both (ADR 0004)
            raise IntegrityError(
                "a package of the first format (no Comity-Package-Format in bag-info.txt) has "
                f"SHA-256 and SHA-512 manifests; this one has {', '.join(algorithms)} only"
            )
        return "1", True
    if declared != layout.STREAMED_FORMAT:
        raise IntegrityError(f"bag-info.txt names package format {declared!r}, which is unknown")
    if auth.package is None:
        raise IntegrityError(
            f"bag-info.txt names package format {declared} but the authorization chose no options"
        )
    wanted = layout.options_text(auth.package)
    if info.get("Comity-Package-Options") != wanted:
        raise IntegrityError(
            f"bag-info.txt Comity-Package-Options {info.get('Comity-Package-Options')!r} does not "
            f"match the authorization's {wanted!r}"
        )
    if algorithms != layout.algorithms(sha512=auth.package.sha512):
        raise IntegrityError(
            f"the package's manifests ({', '.join(algorithms)}) are not the ones its options "
            f"({wanted}) call for"
        )
    return declared, auth.package.mbox


def read_index(bag: Path) -> list[IndexRow]:
    text = (bag / layout.INDEX).read_bytes().decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header not in (list(layout.INDEX_COLUMNS), list(layout.STREAMED_INDEX_COLUMNS)):
        raise IntegrityError(f"{layout.INDEX} does not start with the header row")
    rows = []
    for number, cells in enumerate(reader, 2):
        if len(cells) != len(header):
            raise IntegrityError(f"{layout.INDEX} row {number} has {len(cells)} columns")
        try:
            category = Category.parse(cells[3])
        except ValueError as exc:
            raise IntegrityError(f"{layout.INDEX} row {number}: {exc}") from None
        record_id, region, account, _, occurred_at, path, sha256, warning = cells[:8]
        envelope = cells[8] if len(cells) > 8 else ""
        if envelope and (
            category is not Category.CONTENT or not formats.valid_envelope(envelope.encode())
        ):
            raise IntegrityError(f"{layout.INDEX} row {number} has an invalid envelope line")
        rows.append(
            IndexRow(
                record_id, region, account, category, occurred_at, path, sha256, warning, envelope
            )
        )
    return rows


def _check_records(
    bag: Path, auth: Authorization, listed: dict[str, str], info: dict[str, str], *, with_mbox: bool
) -> int:
    rows = read_index(bag)
    regions = set(info.get("Comity-Regions", "").split())
    expected = {layout.INDEX}
    mboxes: dict[str, list[IndexRow]] = defaultdict(list)
    structured: dict[tuple[str, str, Category], list[IndexRow]] = defaultdict(list)
    for row in rows:
        where = f"record {row.record_id} ({row.path})"
        try:
            occurred_at = formats.parse_timestamp(row.occurred_at)
        except ValueError:
            raise IntegrityError(f"{where} has an invalid time {row.occurred_at!r}") from None
        if row.region not in regions:
            raise IntegrityError(f"{where} is in region {row.region}, not named in bag-info.txt")
        refusal = auth.refusal(row.region, row.account, row.category, occurred_at)
        if refusal is not None:
            raise IntegrityError(f"{where} lies outside the authorization: {refusal}")
        if row.category is Category.CONTENT:
            mbox = layout.mbox_path(row.region, row.account)
            seq = len(mboxes[mbox]) + 1
            path = layout.eml_path(row.region, row.account, seq, row.record_id)
            if row.path != path:
                raise IntegrityError(f"{where} should be the one file {path}")
            if listed.get(path) != row.sha256:
                raise IntegrityError(f"{where} does not match the SHA-256 in the index")
            expected.add(path)
            if with_mbox:
                expected.add(mbox)
            mboxes[mbox].append(row)
        else:
            path = layout.json_path(row.region, row.account, row.category)
            if row.path != path:
                raise IntegrityError(f"{where} should be in {path}")
            expected.add(path)
            if row.category in layout.CSV_CATEGORIES:
                expected.add(layout.csv_path(row.region, row.account, row.category))
            structured[(row.region, row.account, row.category)].append(row)
    for name in sorted(set(listed) - expected):
        raise IntegrityError(f"payload file {name} does not belong to any record of the index")
    for name in sorted(expected - set(listed)):
        raise IntegrityError(f"payload file {name} is missing for the records of the index")
    for mbox, content_rows in mboxes.items() if with_mbox else ():
        sha = hashlib.sha256()
        for row in content_rows:
            body = (bag / row.path).read_bytes()
            envelope = row.envelope.encode() if row.envelope else None
            sha.update(formats.mbox_entry(body, formats.parse_timestamp(row.occurred_at), envelope))
        if sha.hexdigest() != listed[mbox]:
            raise IntegrityError(f"{mbox} is not exactly the mbox of the account's .eml files")
    for (region, account, category), group in structured.items():
        _check_structured(bag, region, account, category, group)
    if info.get("Comity-Record-Count") != str(len(rows)):
        raise IntegrityError(
            f"bag-info.txt Comity-Record-Count {info.get('Comity-Record-Count')} does not match "
            f"the {len(rows)} records of the index"
        )
    return len(rows)


def _check_structured(
    bag: Path, region: str, account: str, category: Category, rows: list[IndexRow]
) -> None:
    json_rel = layout.json_path(region, account, category)
    data = (bag / json_rel).read_bytes()
    try:
        entries = json.loads(data)
    except ValueError:
        raise IntegrityError(f"{json_rel} is not valid JSON") from None
    if not isinstance(entries, list) or len(entries) != len(rows):
        raise IntegrityError(f"{json_rel} does not hold exactly the {len(rows)} indexed records")
    lines = []
    for entry, row in zip(entries, rows, strict=True):
        if (
            not isinstance(entry, dict)
            or entry.get("id") != row.record_id
            or entry.get("occurred_at") != row.occurred_at
            or not isinstance(entry.get("fields"), dict)
        ):
            raise IntegrityError(f"{json_rel} does not hold record {row.record_id} where indexed")
        body = json.dumps(
            entry["fields"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        if hashlib.sha256(body.encode()).hexdigest() != row.sha256:
            raise IntegrityError(f"record {row.record_id} in {json_rel} does not match its SHA-256")
        lines.append(
            formats.json_entry(
                row.record_id, formats.parse_timestamp(row.occurred_at), entry["fields"]
            )
        )
    if b"".join(formats.json_file(lines)) != data:
        raise IntegrityError(f"{json_rel} is not in the canonical form of its records")
    if category not in layout.CSV_CATEGORIES:
        return
    csv_rel = layout.csv_path(region, account, category)
    header = formats.csv_header(k for e in entries for k in e["fields"])
    rebuilt = formats.csv_line(header) + b"".join(formats.csv_row(header, e) for e in entries)
    if rebuilt != (bag / csv_rel).read_bytes():
        raise IntegrityError(f"{csv_rel} does not match the records of {json_rel}")


_CERTIFIED = re.compile(r"^  (\S+) \((\d+) bytes\)\n    SHA-256 ([0-9a-f]{64})$", re.MULTILINE)


def _check_certificate(
    bag: Path, listed: dict[str, str], tags: dict[str, str], algorithms: tuple[str, ...]
) -> None:
    """Every hash the certificate certifies is the hash of that file, and it certifies both
    payload manifests (which carry every other file's hash): FRE 902(14) identification by hash
    holds only if the certified values are the real ones."""
    text = (bag / layout.CERTIFICATE_TXT).read_text("utf-8")
    certified = {m.group(1): m.group(3) for m in _CERTIFIED.finditer(text)}
    for algorithm in algorithms:
        if layout.manifest_name(algorithm) not in certified:
            raise IntegrityError(
                f"{layout.CERTIFICATE_TXT} does not certify {layout.manifest_name(algorithm)}"
            )
    for name, sha256 in certified.items():
        actual = listed.get(name, tags.get(name))
        if actual != sha256:
            raise IntegrityError(
                f"{layout.CERTIFICATE_TXT} certifies a SHA-256 for {name} that is not its hash"
            )
