"""Source secrets come only from files Comity alone may read (contract section 8).

A password in ``comity.toml`` would be copied wherever the file is (backups, tickets, the control
plane); a ``*_file`` is read only by the regional agent, when it opens the source. A file that its
group or others may read is refused, as ssh refuses a private key, so a leak is not silent.
"""

from __future__ import annotations

import stat
from pathlib import Path

from comity.errors import ConfigurationError


def read_secret(path: Path, where: str) -> str:
    """The secret in ``path`` without its trailing newline; ``ConfigurationError`` if the file is
    missing, empty or readable by group or others."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(f"{where}: secret file {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{where}: secret file {path} is readable by group or others "
            f"(mode {stat.S_IMODE(mode):04o}); run 'chmod 600 {path}'"
        )
    secret = path.read_text(encoding="utf-8").rstrip("\r\n")
    if not secret:
        raise ConfigurationError(f"{where}: secret file {path} is empty")
    return secret
