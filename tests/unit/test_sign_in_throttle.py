"""Sign-in throttling: five failures lock an e-mail address for fifteen minutes, then it opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from comity.services.sign_in_throttle import MAX_PER_CLIENT, WINDOW, SignInThrottle

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_five_failures_lock_the_address_until_the_window_passes() -> None:
    throttle = SignInThrottle()
    for i in range(5):
        assert throttle.wait("a@x.example", "10.0.0.1", T0 + timedelta(seconds=i)) is None
        throttle.failed("a@x.example", "10.0.0.1", T0 + timedelta(seconds=i))
    wait = throttle.wait("a@x.example", "10.0.0.2", T0 + timedelta(seconds=5))
    assert wait == WINDOW - timedelta(seconds=5)
    assert throttle.wait("b@x.example", "10.0.0.1", T0 + timedelta(seconds=5)) is None
    assert throttle.wait("a@x.example", "10.0.0.1", T0 + WINDOW + timedelta(seconds=5)) is None


def test_a_client_spraying_addresses_is_locked() -> None:
    throttle = SignInThrottle()
    for i in range(MAX_PER_CLIENT):
        throttle.failed(f"u{i}@x.example", "10.0.0.9", T0)
    assert throttle.wait("new@x.example", "10.0.0.9", T0) is not None
    assert throttle.wait("new@x.example", "10.0.0.8", T0) is None


def test_success_clears_the_address() -> None:
    throttle = SignInThrottle()
    for _ in range(4):
        throttle.failed("a@x.example", "10.0.0.1", T0)
    throttle.succeeded("a@x.example")
    throttle.failed("a@x.example", "10.0.0.1", T0)
    assert throttle.wait("a@x.example", "10.0.0.3", T0) is None
