"""Throw-away SoftHSM tokens for the PKCS#11 keyring tests.

SoftHSM reads its configuration (``SOFTHSM2_CONF``) and lists its tokens once, when a process
first loads the library, and python-pkcs11 keeps the library loaded. So each test process makes
one temporary token directory and a pool of tokens in it with ``softhsm2-util`` before anything
loads the library, and each test takes a token of its own from the pool.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "271828"
POOL = 12


@dataclass(frozen=True)
class Token:
    label: str
    pin_file: Path

    def url(self, pin_file: Path | None = None) -> str:
        return f"pkcs11:module={MODULE};token={self.label};pin-file={pin_file or self.pin_file}"


class TokenPool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._next = itertools.count()
        self.pin_file = root / "pin"
        self.pin_file.write_text(PIN + "\n")
        self.pin_file.chmod(0o600)

    def take(self) -> Token:
        n = next(self._next)
        if n >= POOL:
            raise RuntimeError("the SoftHSM token pool is used up; raise POOL")
        return Token(f"comity-test-{n}", self.pin_file)


def softhsm_pool(root: Path) -> TokenPool:
    """Configure SoftHSM in ``root`` for this process and initialise the pool's tokens."""
    if shutil.which("softhsm2-util") is None or not MODULE.exists():
        if os.environ.get("CI"):
            pytest.fail("softhsm2 is not installed; run make system-deps")
        pytest.skip("Debian's softhsm2 is not installed (make system-deps installs it)")
    tokens = root / "tokens"
    tokens.mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for n in range(POOL):
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                f"comity-test-{n}",
                "--pin",
                PIN,
                "--so-pin",
                "31415926",
            ],
            check=True,
            capture_output=True,
        )
    return TokenPool(root)
