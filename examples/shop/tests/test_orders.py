from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shop.models import Product, User

ProductFactory = Callable[..., Product]


def _place(client: TestClient, headers: dict[str, str], *items: tuple[int, int]) -> Any:
    """POST an order of ``(product_id, quantity)`` lines; returns the TestClient response."""
    payload = {"items": [{"product_id": pid, "quantity": qty} for pid, qty in items]}
    return client.post("/api/v1/orders", json=payload, headers=headers)


def test_place_order_computes_total_and_decrements_stock(
    client: TestClient,
    session: Session,
    user: User,
    user_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    mug = make_product(price_cents=1200, stock=5)
    tea = make_product(price_cents=350, stock=10)

    response = _place(client, user_headers, (mug.id, 2), (tea.id, 3))

    assert response.status_code == 201
    body = response.json()
    assert body["user_id"] == user.id
    assert body["status"] == "pending"
    assert body["total_cents"] == 2 * 1200 + 3 * 350
    lines = sorted((i["product_id"], i["quantity"], i["unit_price_cents"]) for i in body["items"])
    assert lines == [(mug.id, 2, 1200), (tea.id, 3, 350)]

    session.expire_all()
    assert session.get(Product, mug.id).stock == 3
    assert session.get(Product, tea.id).stock == 7


def test_order_keeps_price_at_time_of_purchase(
    client: TestClient,
    user_headers: dict[str, str],
    admin_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    product = make_product(price_cents=1000)
    order = _place(client, user_headers, (product.id, 1)).json()

    client.patch(f"/api/v1/products/{product.id}", json={"price_cents": 2000}, headers=admin_headers)

    again = client.get(f"/api/v1/orders/{order['id']}", headers=user_headers).json()
    assert again["total_cents"] == 1000
    assert again["items"][0]["unit_price_cents"] == 1000


def test_duplicate_lines_are_merged(
    client: TestClient,
    session: Session,
    user_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    product = make_product(price_cents=100, stock=5)

    response = _place(client, user_headers, (product.id, 2), (product.id, 3))

    assert response.status_code == 201
    assert response.json()["items"] == [{"product_id": product.id, "quantity": 5, "unit_price_cents": 100}]
    session.expire_all()
    assert session.get(Product, product.id).stock == 0


def test_insufficient_stock_rejects_whole_order(
    client: TestClient,
    session: Session,
    user_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    plenty = make_product(stock=10)
    scarce = make_product(stock=1)

    response = _place(client, user_headers, (plenty.id, 2), (scarce.id, 2))

    assert response.status_code == 400
    assert "Insufficient stock" in response.json()["detail"]
    session.expire_all()
    assert session.get(Product, plenty.id).stock == 10
    assert session.get(Product, scarce.id).stock == 1
    assert client.get("/api/v1/orders", headers=user_headers).json() == []


def test_order_with_unknown_product_404(
    client: TestClient, user_headers: dict[str, str], make_product: ProductFactory
) -> None:
    product = make_product()

    response = _place(client, user_headers, (product.id, 1), (9999, 1))

    assert response.status_code == 404
    assert "9999" in response.json()["detail"]


def test_order_validation(client: TestClient, user_headers: dict[str, str]) -> None:
    for payload in (
        {"items": []},
        {"items": [{"product_id": 1, "quantity": 0}]},
        {"items": [{"product_id": 0, "quantity": 1}]},
        {},
    ):
        response = client.post("/api/v1/orders", json=payload, headers=user_headers)
        assert response.status_code == 422, payload


def test_orders_require_authentication(client: TestClient) -> None:
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get("/api/v1/orders/1").status_code == 401
    response = client.post("/api/v1/orders", json={"items": [{"product_id": 1, "quantity": 1}]})
    assert response.status_code == 401


def test_list_orders_only_shows_own_orders_newest_first(
    client: TestClient,
    make_user: Callable[..., User],
    auth_headers: Callable[[User], dict[str, str]],
    user_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    product = make_product(stock=100)
    first = _place(client, user_headers, (product.id, 1)).json()
    second = _place(client, user_headers, (product.id, 2)).json()
    bob_headers = auth_headers(make_user("bob@example.com"))
    _place(client, bob_headers, (product.id, 3))

    response = client.get("/api/v1/orders", headers=user_headers)

    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [second["id"], first["id"]]


def test_get_own_order(
    client: TestClient, user_headers: dict[str, str], make_product: ProductFactory
) -> None:
    product = make_product(price_cents=999)
    order = _place(client, user_headers, (product.id, 1)).json()

    response = client.get(f"/api/v1/orders/{order['id']}", headers=user_headers)

    assert response.status_code == 200
    assert response.json() == order


def test_cannot_read_someone_elses_order(
    client: TestClient,
    make_user: Callable[..., User],
    auth_headers: Callable[[User], dict[str, str]],
    user_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    product = make_product()
    order = _place(client, user_headers, (product.id, 1)).json()
    mallory_headers = auth_headers(make_user("mallory@example.com"))

    response = client.get(f"/api/v1/orders/{order['id']}", headers=mallory_headers)

    assert response.status_code == 403


def test_admin_can_read_any_order(
    client: TestClient,
    user_headers: dict[str, str],
    admin_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    product = make_product()
    order = _place(client, user_headers, (product.id, 1)).json()

    response = client.get(f"/api/v1/orders/{order['id']}", headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["id"] == order["id"]


def test_get_missing_order_404(client: TestClient, user_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/orders/4242", headers=user_headers)

    assert response.status_code == 404


def test_product_with_orders_cannot_be_deleted(
    client: TestClient,
    admin_headers: dict[str, str],
    user_headers: dict[str, str],
    make_product: ProductFactory,
) -> None:
    product = make_product()
    _place(client, user_headers, (product.id, 1))

    response = client.delete(f"/api/v1/products/{product.id}", headers=admin_headers)

    assert response.status_code == 409
    assert client.get(f"/api/v1/products/{product.id}").status_code == 200
