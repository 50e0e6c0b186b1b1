"""A wrong method is a 405 whose ``Allow`` names every method the path takes (RFC 9110 15.5.6).

Starlette named only the first matching route's methods, so ``OPTIONS /cases`` said ``GET``
although ``POST /cases`` exists; Schemathesis's Allow check found it against a live server.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from comity.bootstrap import Comity
from comity.entrypoints.api.app import create_app


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/cases", "GET, POST"),
        ("DELETE", "/demands", "GET, POST"),
        ("PUT", "/authorities", "GET, POST"),
        ("OPTIONS", "/demands/dem-x/assessments", "GET, POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_wrong_method_names_every_method_the_path_takes(
    deployment: Comity, method: str, path: str, allowed: str
) -> None:
    answer = TestClient(create_app(deployment)).request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    error = answer.json()["error"]
    assert error["code"] == "bad_method"
    assert error["message"] == f"{method} is not allowed here; this path takes {allowed}"
