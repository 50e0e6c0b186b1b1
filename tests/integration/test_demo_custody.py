"""The demo deployment holds realistic mail for every account, in the regions placement names."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.categories import ALL_CATEGORIES, Category
from comity.services.accounts import list_accounts


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Comity:
    home: Path = tmp_path_factory.mktemp("demo")
    initialise(home, demo=True)
    return open_deployment(home)


def test_msft_ireland_is_split_as_in_the_case(demo: Comity) -> None:
    us, ie = demo.region_store("us-west"), demo.region_store("eu-ie")
    assert ie.store.count("msft-ireland", Category.CONTENT) == 40
    assert us.store.count("msft-ireland", Category.CONTENT) == 0
    assert us.store.count("msft-ireland", Category.TRAFFIC) == 40
    assert ie.store.count("msft-ireland", Category.TRAFFIC) == 0
    assert us.store.count("msft-ireland", Category.SUBSCRIBER) == 1
    assert ie.store.count("msft-ireland", Category.IDENTIFICATION) > 0


def test_every_account_has_every_category_in_its_placed_region(demo: Comity) -> None:
    for account in list_accounts(demo.uow):
        for category in ALL_CATEGORIES:
            region = demo.region_store(account.region_for(category))
            assert region.store.count(account.id, category) > 0, (account.id, category)


def test_demo_mail_is_realistic(demo: Comity) -> None:
    mail = [
        message_from_bytes(r.body, policy=policy.default)
        for r in demo.region_store("eu-ie").read("msft-ireland", [Category.CONTENT])
    ]
    assert all(r.warning is None for r in demo.region_store("eu-ie").read("msft-ireland"))
    assert any(m.is_multipart() and any(m.iter_attachments()) for m in mail)
    assert any(m.get_body(("html",)) is not None for m in mail)
    assert any(m["In-Reply-To"] for m in mail)
    assert any(not str(m["From"]).isascii() or not str(m["To"]).isascii() for m in mail)
