"""Each district's price list for its paid waste services (theme.toml's [waste]), the prices an order is
charged, worked out from it alone, and production refusing the sandbox Pay's key."""

import shutil

import pytest

from app import create_app
from app.config import PROJECT_ROOT
from app.models.waste import WasteOrder
from app.themes import ThemeError, load_theme
from app.waste.orders import lines_for, total_pence


@pytest.fixture(scope="module")
def app_context():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context(headers={"Host": "south-norfolk.localhost"}):
        yield app


def bulky(items: dict, **answers) -> WasteOrder:
    return WasteOrder(kind="bulky", council_slug="south-norfolk", answers={"items": items, **answers})


def test_a_collection_costs_each_item_at_its_price(app_context):
    lines = lines_for(bulky({"sofa": 2, "fridge": 1, "not-on-the-list": 3}))

    assert [(line.description, line.quantity, line.total_pence) for line in lines] == [
        ("Sofa or armchair", 2, 4400),
        ("Fridge or freezer", 1, 2600),
    ]
    assert total_pence(lines) == 7000, "an item the council does not price costs nothing and is not collected"


def test_a_subscription_costs_the_first_bin_and_each_further_one(app_context):
    order = WasteOrder(kind="garden", council_slug="norwich", answers={"bins": 3})

    assert total_pence(lines_for(order)) == 5000 + 2 * 3000


def test_what_a_browser_might_send_is_never_read(app_context):
    order = bulky({"sofa": 1}, amount_pence=1, total=1, price_pence=1)
    order.amount_pence = 1

    assert total_pence(lines_for(order)) == 2200


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("first_bin_pence = 5400", "first_bin_pence = 0"),
        ("first_bin_pence = 5400", 'first_bin_pence = "54.00"'),
        ("max_items = 5", "max_items = 40"),
        ('code = "mattress"', 'code = "sofa"'),
    ],
)
def test_a_price_list_that_cannot_be_right_is_refused(tmp_path, change, problem):
    theme = tmp_path / "south-norfolk"
    shutil.copytree(PROJECT_ROOT / "themes" / "south-norfolk", theme)
    toml = theme / "theme.toml"
    toml.write_text(toml.read_text().replace(change, problem))

    with pytest.raises(ThemeError):
        load_theme(theme)


def test_production_refuses_the_sandbox_pay_key():
    from app.config import production_problems

    problems = production_problems(
        {"SECRET_KEY": "x" * 32},
        environ={"PORTAL_PAY_KEY_NORWICH": "sandbox-pay-key", "PORTAL_PAY_KEY_BRECKLAND": "k"},
    )

    assert "PORTAL_PAY_KEY_NORWICH is the sandbox GOV.UK Pay's key" in problems
    assert not any("BRECKLAND" in problem for problem in problems)
