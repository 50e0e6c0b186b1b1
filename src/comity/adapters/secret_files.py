"""Key files: created owner-only, refused when others can read them.

Every secret Comity keeps on disk (each region's key-encryption key, the audit log's checkpoint
key, the control plane's and the provider's signing keys) goes through these two functions, so the
``keys/`` directory is 0700 and each file 0600 whichever key happens to be created first.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from comity.errors import ConfigurationError


def write_secret(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 in an owner-only directory, durably, never overwriting.

    Raises ``FileExistsError`` if the file exists, so two processes starting together cannot
    replace each other's key.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def read_secret(path: Path, what: str) -> bytes:
    """The bytes of the secret ``what`` at ``path``, refusing a file others may read."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(
            f"{what} is missing at {path}; run 'comity init' to create it"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read {what} at {path}: {exc.strerror}") from None
    if mode & 0o077:
        raise ConfigurationError(
            f"{what} at {path} is readable by others (mode {mode:04o}); run chmod 600 {path}"
        )
    return data
