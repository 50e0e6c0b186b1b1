"""Where everything sits in a production package, shared by the writer, the reader and verify.

```
package-<authorization id>/
  bagit.txt  bag-info.txt                       BagIt declaration and metadata (RFC 8493 2.1, 2.2)
  manifest-sha256.txt  manifest-sha512.txt      payload manifests
  authorization.json                            the control plane's signed authorization
  control-plane-key.pem  provider-key.pem       the public keys the signatures name
  certificate.txt  certificate.pdf              FRE 902(11)/902(14) certificate of authenticity
  tagmanifest-sha256.txt  tagmanifest-sha512.txt
  tagmanifest-sha512.txt.sig                    Ed25519 signature over tagmanifest-sha512.txt
  data/index.csv                                one row per record, in production order
  data/<region>/<account>/content/<n>-<record>.eml  the original RFC 5322 bytes, n-th of account
  data/<region>/<account>/content.mbox          the same messages as one mbox (RFC 4155, mboxrd)
  data/<region>/<account>/<category>.json       traffic, identification, subscriber records
  data/<region>/<account>/<category>.csv        traffic and identification records as CSV
```
"""

from __future__ import annotations

import hashlib
import re

from comity.domain.authorization import PackageOptions
from comity.domain.categories import Category

ALGORITHMS = ("sha256", "sha512")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
INDEX = "data/index.csv"
INDEX_COLUMNS = (
    "record_id",
    "region",
    "account",
    "category",
    "occurred_at",
    "path",
    "sha256",
    "warning",
)
#: The second format's index also gives each message's mbox envelope line as ingested (empty
#: when it came without one), so the mbox, the package's or one a requester builds, has it.
STREAMED_INDEX_COLUMNS = (*INDEX_COLUMNS, "envelope")
AUTHORIZATION = "authorization.json"
CERTIFICATE_TXT = "certificate.txt"
CERTIFICATE_PDF = "certificate.pdf"
PROVIDER_KEY = "provider-key.pem"
CONTROL_PLANE_KEY = "control-plane-key.pem"
SIGNED_TAG_MANIFEST = "tagmanifest-sha512.txt"
SIGNATURE = "tagmanifest-sha512.txt.sig"
#: bag-info's ``Comity-Package-Format`` of packages whose authorization chose options; the first
#: format has no such field (docs/adr/0004).
STREAMED_FORMAT = "2"
CSV_CATEGORIES = (Category.TRAFFIC, Category.IDENTIFICATION)
STRUCTURED = (Category.SUBSCRIBER, Category.IDENTIFICATION, Category.TRAFFIC)

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def algorithms(*, sha512: bool) -> tuple[str, ...]:
    """The manifest algorithms of a package: SHA-256 always, SHA-512 when chosen."""
    return ALGORITHMS if sha512 else ("sha256",)


def signed_tag_manifest(chosen: tuple[str, ...]) -> str:
    """The tag manifest the provider signs: the strongest algorithm's (SHA-512 when present)."""
    return tagmanifest_name(chosen[-1])


def signature_name(signed: str) -> str:
    return f"{signed}.sig"


def options_text(options: PackageOptions) -> str:
    """bag-info's ``Comity-Package-Options``, e.g. ``mbox=no sha512=no``."""
    return " ".join(
        f"{name}={'yes' if chosen else 'no'}"
        for name, chosen in (("mbox", options.mbox), ("sha512", options.sha512))
    )


def manifest_name(algorithm: str) -> str:
    return f"manifest-{algorithm}.txt"


def tagmanifest_name(algorithm: str) -> str:
    return f"tagmanifest-{algorithm}.txt"


def bag_name(authorization_id: str) -> str:
    return "package-" + file_stem(authorization_id)


def file_stem(identifier: str) -> str:
    """A file-name-safe stem for ``identifier``: itself if safe, else a digest of it."""
    if _SAFE.match(identifier) and not identifier.endswith("."):
        return identifier
    return "id-" + hashlib.sha256(identifier.encode()).hexdigest()[:32]


def account_dir(region: str, account: str) -> str:
    return f"data/{region}/{account}"


def content_dir(region: str, account: str) -> str:
    return f"{account_dir(region, account)}/content"


def eml_name(seq: int, record_id: str) -> str:
    """The n-th message of an account (from 1), named so that name order is production order."""
    return f"{seq:08d}-{file_stem(record_id)}.eml"


def eml_path(region: str, account: str, seq: int, record_id: str) -> str:
    return f"{content_dir(region, account)}/{eml_name(seq, record_id)}"


def mbox_path(region: str, account: str) -> str:
    return f"{account_dir(region, account)}/content.mbox"


def json_path(region: str, account: str, category: Category) -> str:
    return f"{account_dir(region, account)}/{category.value}.json"


def csv_path(region: str, account: str, category: Category) -> str:
    return f"{account_dir(region, account)}/{category.value}.csv"
