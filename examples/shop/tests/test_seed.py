"""The load-test seed (``shop.seed``), run on the test database at a small scale.

The runtime gates run it at full size on every validation; here a few rows per table keep the suite's
query statistics about the app's own queries.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from shop import seed as seed_module
from shop.models import Order, OrderItem, Product, User

PRODUCTS, CUSTOMERS, ORDERS_PER_CUSTOMER = 20, 3, 4


@pytest.fixture
def seeded(
    monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]
) -> Iterator[dict[str, dict[str, str]]]:
    """What ``seed()`` returns, after it filled the test database (not the one SHOP_DATABASE_URL names)."""
    monkeypatch.setattr(seed_module, "SessionLocal", session_factory)
    monkeypatch.setattr(seed_module, "PRODUCTS", PRODUCTS)
    monkeypatch.setattr(seed_module, "CUSTOMERS", CUSTOMERS)
    monkeypatch.setattr(seed_module, "ORDERS_PER_CUSTOMER", ORDERS_PER_CUSTOMER)
    yield seed_module.seed()


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_fills_the_database_with_products_customers_and_their_orders(
    seeded: dict[str, dict[str, str]], session: Session
) -> None:
    orders = (CUSTOMERS + 1) * ORDERS_PER_CUSTOMER
    assert (_count(session, Product), _count(session, User), _count(session, Order)) == (
        PRODUCTS,
        CUSTOMERS + 1,
        orders,
    )
    assert _count(session, OrderItem) == orders * seed_module.ITEMS_PER_ORDER
    assert not any(user.is_admin for user in session.scalars(select(User)))
    for order in session.scalars(select(Order).options(selectinload(Order.items))):
        assert order.total_cents == sum(item.quantity * item.unit_price_cents for item in order.items)


def test_the_seeds_token_and_ids_reach_the_first_customers_data(
    seeded: dict[str, dict[str, str]], client: TestClient
) -> None:
    headers, values = seeded["headers"], seeded["values"]
    assert set(headers) == {"Authorization"} and headers["Authorization"].startswith("Bearer ")
    assert set(values) == {"product_id", "order_id"}

    me = client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200 and me.json()["email"] == "customer0@example.com"

    order = client.get(f"/api/v1/orders/{values['order_id']}", headers=headers)
    assert order.status_code == 200
    assert order.json()["user_id"] == me.json()["id"]
    assert len(order.json()["items"]) == seed_module.ITEMS_PER_ORDER

    mine = client.get("/api/v1/orders", headers=headers)
    assert len(mine.json()) == ORDERS_PER_CUSTOMER

    product = client.get(f"/api/v1/products/{values['product_id']}")
    assert product.status_code == 200 and product.json()["stock"] == 10_000
