"""Schemathesis against the API's own OpenAPI schema: no server error, no off-schema response.

Runs in-process over ASGI as every role would, with a staff administrator's token so that the
operations reach their handlers rather than stopping at authentication.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.intake_support import FakeAssessor, populate

from comity.bootstrap import initialise, open_deployment
from comity.entrypoints.api.app import create_app

# Schemathesis's fixture-based loader does not work with pytest 9, so the deployment is built when
# the module is collected, in a temporary directory removed at exit.
_HOME = Path(tempfile.mkdtemp(prefix="comity-schema-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
initialise(_HOME, demo=False)
_WORLD = populate(open_deployment(_HOME))
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(_WORLD.comity, assessor=FakeAssessor())
)


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_schema(case: Any) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_WORLD.tokens['admin']}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
