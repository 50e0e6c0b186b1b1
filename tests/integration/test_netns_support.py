"""The regions tests' network namespaces do not meet another session's, and leave nothing behind.

Two test sessions on one machine (two engineers, or two pytest-xdist workers) used to create
the same blackhole route and the same addresses (10.231.i.x): the second failed to start, or the
first one's clean-up took away the second's route. Each session now claims a network of its own
under a lock, and everything it made goes when it ends, a failing test included; what a killed
session left is swept by the next one.
"""

from __future__ import annotations

import fcntl
import os
import subprocess

import pytest
from tests import netns_support
from tests.netns_support import CLAIMS, Namespace, namespaces
from tests.ports_support import is_free, session_ports


def _ip(*args: str) -> str:
    return subprocess.run(
        ["ip", *args], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def _ours() -> tuple[set[str], str, set[str]]:
    """This process's namespaces, the unreachable routes and this process's claims, now."""
    spaces = {
        line.split(" ", 1)[0]
        for line in _ip("netns", "list").splitlines()
        if line.startswith(f"cj-{os.getpid()}-")
    }
    claims = {c.name for c in CLAIMS.glob("10.*") if c.read_text() == str(os.getpid())}
    return spaces, _ip("route", "show", "type", "unreachable"), claims


@pytest.fixture
def root_netns() -> None:
    reason = netns_support.unavailable()
    if reason:
        pytest.skip(f"network namespaces are not available: {reason}")


def _dead_pid() -> int:
    """The pid of a process that has ended (a session killed before its clean-up)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _two_sessions_then_a_failure(seen: dict[str, Namespace]) -> None:
    """Two sessions' namespaces at once, checked, then a test failing inside both."""
    with namespaces(["a", "b"]) as first, namespaces(["a"]) as second:
        seen.update({"first": first["a"], "second": second["a"]})
        assert first["a"].network == first["b"].network
        assert first["a"].network != second["a"].network
        assert first["a"].host_ip != second["a"].host_ip
        spaces, routes, claims = _ours()
        assert spaces == {ns.name for ns in (*first.values(), *second.values())}
        assert len(claims) == 2
        assert first["a"].network in routes
        assert second["a"].network in routes
        raise RuntimeError("a test failed")


@pytest.mark.usefixtures("root_netns")
def test_two_sessions_at_once_get_different_networks_and_clean_up_after_a_failure() -> None:
    seen: dict[str, Namespace] = {}
    with pytest.raises(RuntimeError, match="a test failed"):
        _two_sessions_then_a_failure(seen)
    nets = {ns.network for ns in seen.values()}
    assert len(nets) == 2
    spaces, routes, claims = _ours()
    assert spaces == set()
    assert claims == set()
    for net in nets:
        assert net not in routes
    links = _ip("-o", "link", "show")
    assert all(ns.host_device not in links for ns in seen.values())


@pytest.mark.usefixtures("root_netns")
def test_what_a_killed_session_left_is_swept_by_the_next() -> None:
    dead = _dead_pid()
    CLAIMS.mkdir(parents=True, exist_ok=True)
    left = "10.254"
    name = f"cj-{dead}-1-left"
    with (CLAIMS / ".lock").open("w") as lock:  # as a session claims: no other claims meanwhile
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (CLAIMS / left).exists() or left in _ip("-4", "route", "show", "table", "all"):
            pytest.skip(f"another session holds {left}")
        _ip("route", "add", "unreachable", f"{left}.0.0/16", "metric", "4000")
        _ip("netns", "add", name)
        (CLAIMS / left).write_text(str(dead))
    try:
        with namespaces(["a"]):
            assert not (CLAIMS / left).exists()
            assert name not in _ip("netns", "list")
            assert f"{left}.0.0/16" not in _ip("route", "show", "type", "unreachable")
    finally:  # if the sweep failed; once swept, 10.254 may be another session's already
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        claim = CLAIMS / left
        if claim.exists() and claim.read_text() == str(dead):
            subprocess.run(
                ["ip", "route", "del", "unreachable", f"{left}.0.0/16", "metric", "4000"],
                capture_output=True,
                check=False,
            )
            claim.unlink()


def test_session_ports_are_free_and_never_handed_out_twice() -> None:
    first = session_ports(3)
    second = session_ports(3)
    assert len(set(first) | set(second)) == 6
    assert all(is_free(port) for port in (*first, *second))
    assert all(20000 <= port < 32000 for port in (*first, *second))
