"""Schemathesis against the API's own OpenAPI schema: no server error, no off-schema response.

Runs in-process over ASGI, once as a staff administrator and once as a requester, so that the
operations reach their handlers rather than stopping at authentication. The deployment is built
by a fixture when the test runs, never when the module is collected (Schemathesis's fixture loader
does not work with pytest 9, so the test walks the schema's operations itself). The long run
against a live server, thousands of cases per token, is ``scripts/fuzz-api.sh``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.intake_support import FakeAssessor, World, populate

from comity.bootstrap import initialise, open_deployment
from comity.entrypoints.api.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home: Path = tmp_path_factory.mktemp("comity-schema")
    initialise(home, demo=False)
    return populate(open_deployment(home))


@pytest.mark.parametrize("caller", ["admin", "jsmith"])
def test_the_api_keeps_to_its_schema(world: World, caller: str) -> None:
    """Every operation, ten generated cases each, answers without a server error and as its
    schema says, for a staff administrator and for a requester."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(world.comity, assessor=FakeAssessor())
    )
    headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the API's schema lists no operation"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def keeps_to_schema(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            keeps_to_schema()
        except Exception as exc:
            exc.add_note(f"operation: {operation.label} as {caller}")
            raise
