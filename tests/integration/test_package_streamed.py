"""The second package format (authorizations that choose options): messages written straight
into the archive in production order, the mbox and SHA-512 only when chosen. Checked with the
same tools as the first: ``comity verify``, the Library of Congress validator, GNU tar and
coreutils' sha256sum/sha512sum, Python's mailbox module; and against tampering."""

from __future__ import annotations

import base64
import hashlib
import mailbox
import subprocess
import tarfile
import tempfile
from pathlib import Path

import bagit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.packaging import (
    CONTROL_PLANE_KEY,
    PROVIDER_KEY,
    archive,
    produce,
    sample_authorization,
    sample_records,
)

from comity.adapters.package import layout
from comity.adapters.package.archive import BLOCK, extract_canonical
from comity.adapters.package.reader import read_records
from comity.adapters.package.verify import verify_package
from comity.domain.authorization import PackageOptions
from comity.errors import IntegrityError

DEFAULT = PackageOptions()
BOTH = PackageOptions(mbox=True, sha512=True)


def _produce(out: Path, options: PackageOptions) -> Path:
    return produce(out, sample_records(), sample_authorization(options))


@pytest.fixture(scope="module")
def streamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _produce(tmp_path_factory.mktemp("pkg") / "package.tar", DEFAULT)


@pytest.fixture(scope="module")
def streamed_both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _produce(tmp_path_factory.mktemp("pkg") / "package.tar", BOTH)


def _bag(package: Path, into: Path) -> Path:
    return extract_canonical(package, into)


@pytest.mark.parametrize("options", [DEFAULT, BOTH, PackageOptions(mbox=True)])
def test_round_trip_holds_exactly_the_records_byte_for_byte(
    options: PackageOptions, tmp_path: Path
) -> None:
    package = _produce(tmp_path / "p.tar", options)
    verified = verify_package(
        package, keys=[PROVIDER_KEY.public], authorization_keys=[CONTROL_PLANE_KEY.public]
    )
    assert verified.package_format == layout.STREAMED_FORMAT
    bag = _bag(package, tmp_path / "x")
    expected = [(region, r) for region, records in sample_records() for r in records]
    assert list(read_records(bag)) == expected
    assert (bag / layout.mbox_path("eu-ie", "acct-0001")).exists() is options.mbox
    assert (bag / "manifest-sha512.txt").exists() is options.sha512
    assert (bag / "tagmanifest-sha512.txt").exists() is options.sha512


def test_the_same_inputs_give_the_same_bytes(streamed: Path, tmp_path: Path) -> None:
    assert _produce(tmp_path / "again.tar", DEFAULT).read_bytes() == streamed.read_bytes()


def test_bag_info_and_the_signature_say_which_options_were_used(
    streamed: Path, streamed_both: Path, tmp_path: Path
) -> None:
    bag = _bag(streamed, tmp_path / "a")
    info = (bag / "bag-info.txt").read_text()
    assert "Comity-Package-Format: 2\n" in info
    assert "Comity-Package-Options: mbox=no sha512=no\n" in info
    assert sorted(p.name for p in bag.glob("*manifest*")) == [
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha256.txt.sig",
    ]
    certificate = (bag / layout.CERTIFICATE_TXT).read_text()
    assert "SHA-512" not in certificate
    assert "mbox" not in certificate
    both = _bag(streamed_both, tmp_path / "b")
    assert "Comity-Package-Options: mbox=yes sha512=yes\n" in (both / "bag-info.txt").read_text()
    assert (both / layout.SIGNATURE).exists()
    assert not (both / "tagmanifest-sha256.txt.sig").exists()


def test_the_archive_has_messages_first_in_production_order_then_the_rest_sorted(
    streamed: Path,
) -> None:
    with tarfile.open(streamed) as tar:
        members = tar.getmembers()
    assert all(m.isfile() for m in members)
    names = [m.name.partition("/")[2] for m in members]
    messages = [n for n in names if n.endswith(".eml")]
    assert names[: len(messages)] == messages
    assert messages == sorted(messages)  # one account: name order is production order
    rest = names[len(messages) :]
    assert rest == sorted(rest, key=lambda n: n.split("/"))
    assert streamed.stat().st_size % tarfile.RECORDSIZE == 0


def test_standard_tools_accept_it(streamed: Path, streamed_both: Path, tmp_path: Path) -> None:
    for package, sums in ((streamed, ["sha256sum"]), (streamed_both, ["sha256sum", "sha512sum"])):
        out = tmp_path / package.parent.name
        out.mkdir()
        subprocess.run(["tar", "-xf", str(package), "-C", str(out)], check=True)
        (bag,) = out.iterdir()
        bagit.Bag(str(bag)).validate()
        for tool in sums:
            algorithm = tool.removesuffix("sum")
            for manifest in (f"manifest-{algorithm}.txt", f"tagmanifest-{algorithm}.txt"):
                subprocess.run([tool, "--quiet", "-c", manifest], cwd=bag, check=True)


def test_python_mailbox_reads_the_chosen_mbox(streamed_both: Path, tmp_path: Path) -> None:
    bag = _bag(streamed_both, tmp_path / "x")
    box = mailbox.mbox(bag / layout.mbox_path("eu-ie", "acct-0001"), create=False)
    assert [m["Message-ID"] for m in box] == [f"<{i}.acct-0001@example.org>" for i in range(3)]


def _rejects(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "package.tar"
        path.write_bytes(data)
        with pytest.raises(IntegrityError) as caught:
            verify_package(path, keys=[PROVIDER_KEY.public])
    message = caught.value.message
    assert message
    assert "\n" not in message
    return message


def test_two_messages_swapped_in_the_archive_are_caught(streamed: Path) -> None:
    """Swapping two whole members keeps every file intact: only the order check sees it."""
    data = streamed.read_bytes()
    with tarfile.open(streamed) as tar:
        first, second = tar.getmembers()[:2]
    size = lambda m: BLOCK + m.size + (-m.size % BLOCK)  # noqa: E731
    a = data[first.offset : first.offset + size(first)]
    b = data[second.offset : second.offset + size(second)]
    assert first.offset + len(a) == second.offset
    swapped = data[: first.offset] + b + a + data[second.offset + len(b) :]
    assert "canonical order" in _rejects(swapped)


def test_a_first_format_archive_of_a_second_format_bag_is_caught(
    streamed: Path, tmp_path: Path
) -> None:
    from tests.packaging import archive  # noqa: PLC0415

    bag = _bag(streamed, tmp_path / "x")
    rebuilt = tmp_path / "rebuilt.tar"
    archive(bag, rebuilt)
    assert "without directory entries" in _rejects(rebuilt.read_bytes())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_byte_changed_removed_or_added_is_detected(streamed: Path, data: st.DataObject) -> None:
    original = streamed.read_bytes()
    size = len(original)
    kind = data.draw(st.sampled_from(["flip", "remove", "insert", "append", "truncate"]))
    at = data.draw(st.integers(0, size - 1))
    tampered = bytearray(original)
    if kind == "flip":
        tampered[at] ^= 1 << data.draw(st.integers(0, 7))
    elif kind == "remove":
        del tampered[at : at + data.draw(st.integers(1, 600))]
    elif kind == "insert":
        tampered[at:at] = data.draw(st.binary(min_size=1, max_size=600))
    elif kind == "append":
        tampered += data.draw(st.binary(min_size=1, max_size=600))
    else:
        del tampered[at:]
    _rejects(bytes(tampered))


def test_a_first_format_package_with_only_sha256_manifests_is_refused(tmp_path: Path) -> None:
    """The first format always has SHA-256 and SHA-512 (ADR 0004): a package without a format
    field whose SHA-512 files were dropped, re-signed by its signer, is not one Comity made."""
    package = produce(tmp_path / "first.tar", sample_records())
    bag = extract_canonical(package, tmp_path / "x")
    for name in ("manifest-sha512.txt", "tagmanifest-sha512.txt", "tagmanifest-sha512.txt.sig"):
        (bag / name).unlink()
    tags = sorted(p.name for p in bag.iterdir() if p.is_file() and "tagmanifest" not in p.name)
    listed = "".join(f"{hashlib.sha256((bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags)
    (bag / "tagmanifest-sha256.txt").write_text(listed)
    signature = PROVIDER_KEY.sign((bag / "tagmanifest-sha256.txt").read_bytes())
    (bag / "tagmanifest-sha256.txt.sig").write_bytes(base64.b64encode(signature) + b"\n")
    archive(bag, tmp_path / "sha256-only.tar")
    with pytest.raises(IntegrityError, match="SHA-256 and SHA-512 manifests; this one has sha256"):
        verify_package(tmp_path / "sha256-only.tar", keys=[PROVIDER_KEY.public])
