"""ASGI entry for ``uvicorn``: builds the app from ``$COMITY_HOME`` in each worker process."""

from __future__ import annotations

import os
from pathlib import Path

from comity.bootstrap import open_deployment
from comity.entrypoints.api.app import create_app
from comity.entrypoints.api.heap import freeze_start_up_heap

_comity = open_deployment(Path(os.environ.get("COMITY_HOME", ".")))
app = create_app(_comity, assessor=_comity.assessor)
freeze_start_up_heap(_comity)
