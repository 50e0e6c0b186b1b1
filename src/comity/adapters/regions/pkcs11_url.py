"""``keyring = "pkcs11:module=PATH;token=LABEL;pin-file=PATH"``: a region's keyring in an HSM.

Parsed here, apart from the adapter, so ``comity.toml`` is checked (and a relative ``pin-file``
resolved against the deployment directory) without loading any PKCS#11 library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCHEME = "pkcs11:"
REQUIRED = ("module", "token", "pin-file")


@dataclass(frozen=True)
class Pkcs11Settings:
    """Which PKCS#11 module, which token in it, and the owner-only file holding its user PIN."""

    module: Path
    token: str
    pin_file: Path

    def url(self) -> str:
        return f"{SCHEME}module={self.module};token={self.token};pin-file={self.pin_file}"


def parse_pkcs11_url(url: str, base_dir: Path | None = None) -> Pkcs11Settings:
    """The settings of a ``pkcs11:`` keyring URL; ``ValueError`` with one sentence if malformed."""
    if not url.startswith(SCHEME):
        raise ValueError(f"{url!r} is not a pkcs11: URL")
    fields: dict[str, str] = {}
    for part in url[len(SCHEME) :].split(";"):
        name, sep, value = part.partition("=")
        if not sep or not value:
            raise ValueError(f"{part!r} in {url!r} is not NAME=VALUE")
        if name not in REQUIRED:
            raise ValueError(f"{name!r} in {url!r} is not one of {', '.join(REQUIRED)}")
        if name in fields:
            raise ValueError(f"{name!r} is given twice in {url!r}")
        fields[name] = value
    missing = [n for n in REQUIRED if n not in fields]
    if missing:
        raise ValueError(f"{url!r} lacks {', '.join(missing)}")
    pin_file = Path(fields["pin-file"])
    if base_dir is not None and not pin_file.is_absolute():
        pin_file = (base_dir / pin_file).resolve()
    return Pkcs11Settings(Path(fields["module"]), fields["token"], pin_file)
