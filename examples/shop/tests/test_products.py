from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shop.models import Product

NEW_PRODUCT = {
    "sku": "MUG-001",
    "name": "Coffee mug",
    "description": "350 ml, stoneware",
    "price_cents": 1299,
    "stock": 25,
    "category": "kitchen",
}


def test_list_products_empty(client: TestClient) -> None:
    response = client.get("/api/v1/products")

    assert response.status_code == 200
    assert response.json() == []


def test_list_products_returns_all_in_id_order(
    client: TestClient, make_product: Callable[..., Product]
) -> None:
    first = make_product(name="Kettle", category="kitchen")
    second = make_product(name="Lamp", category="living", description=None)

    response = client.get("/api/v1/products")

    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body] == [first.id, second.id]
    assert body[1]["name"] == "Lamp"
    assert body[1]["description"] is None
    assert set(body[0]) == {
        "id",
        "sku",
        "name",
        "description",
        "price_cents",
        "stock",
        "category",
        "created_at",
    }


def test_get_product(client: TestClient, make_product: Callable[..., Product]) -> None:
    product = make_product(sku="TEA-42", price_cents=450)

    response = client.get(f"/api/v1/products/{product.id}")

    assert response.status_code == 200
    assert response.json()["sku"] == "TEA-42"
    assert response.json()["price_cents"] == 450


def test_get_missing_product_404(client: TestClient) -> None:
    response = client.get("/api/v1/products/12345")

    assert response.status_code == 404
    assert response.json()["detail"] == "Product not found"


def test_admin_creates_product(client: TestClient, admin_headers: dict[str, str], session: Session) -> None:
    response = client.post("/api/v1/products", json=NEW_PRODUCT, headers=admin_headers)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in NEW_PRODUCT} == NEW_PRODUCT
    assert session.get(Product, body["id"]) is not None


def test_create_product_requires_auth(client: TestClient) -> None:
    response = client.post("/api/v1/products", json=NEW_PRODUCT)

    assert response.status_code == 401


def test_create_product_requires_admin(client: TestClient, user_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/products", json=NEW_PRODUCT, headers=user_headers)

    assert response.status_code == 403
    assert client.get("/api/v1/products").json() == []


def test_create_product_duplicate_sku_conflicts(
    client: TestClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Product],
) -> None:
    make_product(sku="MUG-001")

    response = client.post("/api/v1/products", json=NEW_PRODUCT, headers=admin_headers)

    assert response.status_code == 409
    assert "MUG-001" in response.json()["detail"]


def test_create_product_validation(client: TestClient, admin_headers: dict[str, str]) -> None:
    invalid = [
        {**NEW_PRODUCT, "price_cents": -1},
        {**NEW_PRODUCT, "stock": -5},
        {**NEW_PRODUCT, "sku": "lower case"},
        {**NEW_PRODUCT, "name": ""},
        {k: v for k, v in NEW_PRODUCT.items() if k != "category"},
    ]
    for payload in invalid:
        response = client.post("/api/v1/products", json=payload, headers=admin_headers)
        assert response.status_code == 422, payload


def test_admin_updates_product_partially(
    client: TestClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Product],
) -> None:
    product = make_product(name="Old name", price_cents=500, stock=3)

    response = client.patch(
        f"/api/v1/products/{product.id}",
        json={"price_cents": 750, "description": "Now with a lid"},
        headers=admin_headers,
    )

    assert response.status_code == 200
    body = response.json()
    assert body["price_cents"] == 750
    assert body["description"] == "Now with a lid"
    assert body["name"] == "Old name"
    assert body["stock"] == 3


def test_update_product_rejects_null_for_required_field(
    client: TestClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Product],
) -> None:
    product = make_product()

    response = client.patch(f"/api/v1/products/{product.id}", json={"name": None}, headers=admin_headers)

    assert response.status_code == 422


def test_update_product_requires_admin(
    client: TestClient,
    user_headers: dict[str, str],
    make_product: Callable[..., Product],
) -> None:
    product = make_product(price_cents=500)

    response = client.patch(f"/api/v1/products/{product.id}", json={"price_cents": 1}, headers=user_headers)

    assert response.status_code == 403
    assert client.get(f"/api/v1/products/{product.id}").json()["price_cents"] == 500


def test_update_missing_product_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.patch("/api/v1/products/999", json={"stock": 1}, headers=admin_headers)

    assert response.status_code == 404


def test_delete_product(
    client: TestClient,
    admin_headers: dict[str, str],
    make_product: Callable[..., Product],
) -> None:
    product = make_product()

    response = client.delete(f"/api/v1/products/{product.id}", headers=admin_headers)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/v1/products/{product.id}").status_code == 404


def test_delete_missing_product_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.delete("/api/v1/products/999", headers=admin_headers)

    assert response.status_code == 404
