"""How often the control plane looks at running parts (ADR 0012): soon at first, then less and
less often, never more rarely than its ceiling."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from comity.services.productions.produce import FIRST_PART_POLL, PART_POLL, part_poll_intervals

seconds = st.floats(min_value=0.001, max_value=3600, allow_nan=False, allow_infinity=False)


def test_the_default_looks_begin_after_fifty_milliseconds_and_settle_at_half_a_second() -> None:
    waits = list(itertools.islice(part_poll_intervals(PART_POLL), 8))
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5]
    assert waits[0] == FIRST_PART_POLL


@given(ceiling=seconds, first=seconds)
def test_the_waits_grow_to_the_ceiling_and_stay_there(ceiling: float, first: float) -> None:
    waits = list(itertools.islice(part_poll_intervals(ceiling, first), 64))
    assert waits[0] == min(first, ceiling)
    assert all(0 < w <= ceiling for w in waits)
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert waits[-1] == ceiling  # doubling from >= 1 ms passes any ceiling up to an hour in 64
