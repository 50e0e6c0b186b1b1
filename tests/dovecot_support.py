"""A private Dovecot for tests: its own config, run and mail directories under a tmp dir, a
passwd-file userdb, a master user, and an IMAP listener on a free loopback port.

Debian's ``dovecot-imapd`` (``make system-deps``) provides the binary; tests that need it skip
with the reason when it is missing. Mail is written as Maildir files directly, CRLF line ends, so
the bytes on disk are the bytes the server serves.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$')
#: Dovecot never serves mail as root: the mail tree belongs to nobody:nogroup.
MAIL_UID = pwd.getpwnam("nobody").pw_uid
MAIL_GID = pwd.getpwnam("nobody").pw_gid
MASTER_USER = "comity"
MASTER_PASSWORD = "master-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int
    users: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    #: Lines appended to the generated dovecot.conf (a quota plugin, say) before ``start``.
    extra_conf: str = ""
    _counter: int = 0

    @property
    def url(self) -> str:
        return f"imap://127.0.0.1:{self.port}"

    def maildir(self, user: str, folder: str = "") -> Path:
        base = self.root / "mail" / user / "Maildir"
        path = base / f".{folder}" if folder else base
        if not (path / "tmp").is_dir():
            for sub in ("cur", "new", "tmp"):
                (path / sub).mkdir(parents=True, exist_ok=True)
            self.own(self.root / "mail")
        return path

    def own(self, top: Path) -> None:
        """Give the mail tree to the mail user, as a delivery agent would leave it."""
        for here, dirs, files in os.walk(top):
            os.chown(here, MAIL_UID, MAIL_GID)
            for name in dirs + files:
                os.chown(os.path.join(here, name), MAIL_UID, MAIL_GID)

    def add_user(self, email: str, password: str = "user-pw") -> None:
        self.users[email] = password
        home = self.root / "mail" / email
        lines = [f"{u}:{{PLAIN}}{p}::::{self.root / 'mail' / u}::" for u, p in self.users.items()]
        (self.root / "users").write_text("\n".join(lines) + "\n")
        self.maildir(email)
        home.mkdir(parents=True, exist_ok=True)

    def deliver(self, user: str, body: bytes, *, seen: bool = False, folder: str = "") -> Path:
        """Put one message in the user's Maildir, as a delivery agent would."""
        self._counter += 1
        path = self.maildir(user, folder)
        name = f"{1700000000 + self._counter}.M{self._counter}P1.test"
        target = path / ("cur" if seen else "new") / (name + (":2,S" if seen else ""))
        target.write_bytes(body)
        os.chown(target, MAIL_UID, MAIL_GID)
        return target

    def start(self) -> None:
        conf = self.root / "dovecot.conf"
        (self.root / "run").mkdir(exist_ok=True)
        (self.root / "master-users").write_text(f"{MASTER_USER}:{{PLAIN}}{MASTER_PASSWORD}\n")
        (self.root / "users").touch()
        conf.write_text(
            f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
# Tests fail logins on purpose: no delay, no growing per-IP penalty.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
first_valid_uid = 0
first_valid_gid = 0
mail_uid = {MAIL_UID}
mail_gid = {MAIL_GID}
default_internal_user = root
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
mail_location = maildir:~/Maildir
auth_master_user_separator = *
passdb {{
  driver = passwd-file
  args = {self.root}/master-users
  master = yes
  result_success = continue
}}
passdb {{
  driver = passwd-file
  args = {self.root}/users
}}
userdb {{
  driver = passwd-file
  args = {self.root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
{self.extra_conf}"""
        )
        (self.root / "state").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                log = (
                    (self.root / "dovecot.log").read_text()
                    if (self.root / "dovecot.log").exists()
                    else ""
                )
                raise RuntimeError(f"dovecot exited: {err} {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not listen within 15 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def folders(self, user: str) -> list[str]:
        """Every mailbox name LIST shows for ``user`` (subscribed or not)."""
        conn = self.master(user)
        try:
            _, boxes = conn.list()
            names = []
            for raw in boxes:
                assert isinstance(raw, bytes)
                match = LIST_LINE.match(raw)
                assert match is not None, raw
                names.append(match["name"].decode().strip('"'))
            return sorted(names)
        finally:
            conn.logout()

    def subscribed(self, user: str) -> list[str]:
        """The mailboxes ``user``'s mail client shows (LSUB)."""
        conn = self.master(user)
        try:
            _, boxes = conn.lsub()
            return sorted(
                match["name"].decode().strip('"')
                for raw in boxes
                if isinstance(raw, bytes) and (match := LIST_LINE.match(raw)) is not None
            )
        finally:
            conn.logout()

    def mailbox_bodies(self, user: str, mailbox: str) -> list[bytes]:
        """What the server serves for each message of ``mailbox``, without setting \\Seen."""
        conn = self.master(user)
        try:
            typ, _ = conn.select(f'"{mailbox}"', readonly=True)
            assert typ == "OK", mailbox
            _, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
            return [d[1] for d in data if isinstance(d, tuple)]
        finally:
            conn.logout()

    def master(self, user: str) -> imaplib.IMAP4:
        """A master-user session on ``user``'s mailbox, for tests to inspect the server."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(f"{user}*{MASTER_USER}", MASTER_PASSWORD)
        return conn

    def flags(self, user: str) -> dict[str, str]:
        """Every message's UID and flags per mailbox, to compare before and after."""
        conn = self.master(user)
        try:
            out: dict[str, str] = {}
            _, boxes = conn.list()
            for raw in boxes:
                assert isinstance(raw, bytes)
                match = LIST_LINE.match(raw)
                assert match is not None, raw
                name = match["name"].decode().strip('"')
                if re.search(rb"(?i)\\(noselect|nonexistent)", match["flags"]):
                    continue  # a parent that holds no messages (``Comity Hold``)
                conn.select(f'"{name}"', readonly=True)
                _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
                # \\Recent belongs to a session, not to the message: leave it out.
                out[name] = repr(
                    sorted(
                        d.replace(b" \\Recent", b"").replace(b"\\Recent", b"")
                        for d in data
                        if isinstance(d, bytes)
                    )
                )
            return out
        finally:
            conn.logout()

    def expunge(self, user: str, uid: int) -> None:
        """Delete one message of INBOX for good, as the customer's own client would."""
        conn = self.master(user)
        try:
            conn.select("INBOX")
            conn.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
            conn.expunge()
        finally:
            conn.logout()

    def bodies(self, user: str) -> list[bytes]:
        """What the server serves for each message of INBOX, fetched without setting \\Seen."""
        conn = self.master(user)
        try:
            conn.select("INBOX", readonly=True)
            _, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
            return [d[1] for d in data if isinstance(d, tuple)]
        finally:
            conn.logout()


class CuttingProxy:
    """A loopback TCP relay to the server that cuts every connection once ``limit`` bytes came
    back from the server: a server (or a network) that goes away in the middle of a fetch, at
    the same point on every run."""

    def __init__(self, port: int, limit: int) -> None:
        self.target = port
        self.limit = limit
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(server, client, self.limit), daemon=True
            ).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[: limit - sent])
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()


@contextmanager
def running_dovecot(extra_conf: str = "") -> Iterator[Dovecot]:
    """A started server in its own directory (mode 0755 so the mail user reaches its tree;
    pytest's tmp dirs are 0700), removed afterwards; ``extra_conf`` is added to its config."""
    if not Path(DOVECOT).exists():
        pytest.skip("Debian's dovecot-imapd is not installed (make system-deps installs it)")
    if os.geteuid() != 0:
        pytest.skip("the test Dovecot runs its mail as nobody, which needs root")
    root = Path(tempfile.mkdtemp(prefix="comity-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, _free_port(), extra_conf=extra_conf)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if not os.environ.get("KEEP_DOVECOT"):
            shutil.rmtree(root, ignore_errors=True)
