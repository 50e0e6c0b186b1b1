"""``POST /demands`` touches the database only from the thread pool, never on the event loop.

The endpoint is ``async`` (it reads a multipart body); anything it reads synchronously there
stalls every other request of the worker while it waits for the database and for the
interpreter lock. It read the answer's attachments there (issue 20, fourth pass).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from tests.intake_support import FakeAssessor, World, body, demand_doc, populate, serving

from comity.bootstrap import initialise, open_deployment
from comity.entrypoints.api.app import create_app

PDF = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n"


@pytest.fixture
def world(tmp_path: Path) -> World:
    initialise(tmp_path, demo=False)
    return populate(open_deployment(tmp_path))


def _on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def statements_on_the_loop() -> Iterator[list[bool]]:
    """For each statement run, whether it ran on an event loop's thread (inside a coroutine)."""
    seen: list[bool] = []

    def record(*_args: Any) -> None:
        seen.append(_on_an_event_loop())

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_a_submission_reads_and_writes_only_in_the_thread_pool(
    world: World, statements_on_the_loop: list[bool]
) -> None:
    app = create_app(world.comity, assessor=FakeAssessor())
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        statements_on_the_loop.clear()
        answer = client.post(
            "/demands",
            files={
                "demand": ("d.json", body(demand_doc("LOOP-1")), "application/json"),
                "file": ("warrant.pdf", PDF, "application/pdf"),
            },
            headers=world.auth("jsmith"),
        )
        assert answer.status_code == 201, answer.text
        assert [a["media_type"] for a in answer.json()["attachments"]] == ["application/pdf"]
        again = client.post(
            "/demands", content=body(demand_doc("LOOP-1")), headers=world.auth("jsmith")
        )
        assert again.status_code == 200, again.text  # the same demand: filed already
    assert statements_on_the_loop, "the submissions ran statements"
    assert not any(statements_on_the_loop), statements_on_the_loop
