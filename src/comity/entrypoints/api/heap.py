"""A serving worker's start-up heap, moved out of the garbage collector's sight once it is built.

CPython's full (generation 2) collection walks every tracked object, and while it runs every
thread of the process stops. A worker's start-up heap (the application and its routes, the
parsed rule pack, Pydantic's and SQLAlchemy's compiled machinery) is hundreds of thousands of
objects that live as long as the worker, so each full collection cost 110-200 ms on the 2-core
machine, and any request in flight waited that long (docs/benchmarks.md, issue 20, fourth pass).
``gc.freeze`` moves every object alive now to a permanent generation that collections skip;
what requests allocate is collected as before.
"""

from __future__ import annotations

import gc

from comity.bootstrap import Comity


def freeze_start_up_heap(comity: Comity) -> None:
    """Load what every worker keeps (the rule pack), collect once, then freeze what is left."""
    comity.law_engine  # noqa: B018 - parsed now, so that it is frozen with the rest
    gc.collect()
    gc.freeze()
