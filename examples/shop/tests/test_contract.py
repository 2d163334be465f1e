"""What the OpenAPI document promises holds: timestamps with their offset, every error status documented."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from shop.models import Product
from shop.schemas import UserRead

ERROR_MODEL = {"$ref": "#/components/schemas/ErrorResponse"}
# Every error status each operation can answer besides 422 (which FastAPI documents itself).
DOCUMENTED_ERRORS = {
    ("post", "/api/v1/auth/token"): {"400", "401"},
    ("post", "/api/v1/users"): {"400", "409"},
    ("get", "/api/v1/users/me"): {"401"},
    ("get", "/api/v1/products"): set(),
    ("get", "/api/v1/products/{product_id}"): {"404"},
    ("post", "/api/v1/products"): {"400", "401", "403", "409"},
    ("patch", "/api/v1/products/{product_id}"): {"400", "401", "403", "404"},
    ("delete", "/api/v1/products/{product_id}"): {"404", "409"},
    ("post", "/api/v1/orders"): {"400", "401", "404"},
    ("get", "/api/v1/orders"): {"401"},
    ("get", "/api/v1/orders/{order_id}"): {"401", "403", "404"},
}


def _parse_aware(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == timedelta(0), text
    return parsed


def test_timestamps_are_sent_in_utc_with_their_offset(
    client: TestClient,
    user_headers: dict[str, str],
    make_product: Callable[..., Product],
) -> None:
    product = make_product()
    before = datetime.now(UTC) - timedelta(minutes=1)  # SQLite keeps whole seconds

    me = client.get("/api/v1/users/me", headers=user_headers).json()
    listed = client.get("/api/v1/products").json()[0]
    order = client.post(
        "/api/v1/orders", json={"items": [{"product_id": product.id, "quantity": 1}]}, headers=user_headers
    ).json()

    stamps = [me["created_at"], listed["created_at"], order["created_at"]]
    assert all(stamp.endswith("Z") for stamp in stamps), stamps
    assert all(before <= _parse_aware(stamp) <= datetime.now(UTC) for stamp in stamps), stamps


def test_every_operation_documents_the_error_statuses_it_answers_with_the_error_model(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    documented = {
        (method, path): {code for code in operation["responses"] if code.startswith("4") and code != "422"}
        for path, item in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
    }
    assert documented == DOCUMENTED_ERRORS
    error = document["paths"]["/api/v1/orders/{order_id}"]["get"]["responses"]["403"]
    assert error["content"]["application/json"]["schema"] == ERROR_MODEL
    assert document["components"]["schemas"]["ErrorResponse"]["required"] == ["detail"]
    created_at = document["components"]["schemas"]["ProductRead"]["properties"]["created_at"]
    assert (created_at["type"], created_at["format"]) == ("string", "date-time")


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/auth/token"])
def test_a_body_that_is_not_utf8_json_is_a_documented_400(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"\x07R\xff", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail"} and isinstance(response.json()["detail"], str)


def test_without_a_token_a_protected_operation_answers_a_documented_401(client: TestClient) -> None:
    response = client.get("/api/v1/orders")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert set(response.json()) == {"detail"}


def test_a_timestamp_that_carries_an_offset_keeps_it() -> None:
    plus_one = timezone(timedelta(hours=1))
    user = UserRead(
        id=1,
        email="a@example.com",
        name="A",
        is_admin=False,
        created_at=datetime(2026, 1, 2, 3, 4, tzinfo=plus_one),
    )

    assert user.model_dump(mode="json")["created_at"] == "2026-01-02T03:04:00+01:00"


TOO_BIG = 2**100  # beyond every integer column: it used to reach the database driver and answer 500


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/v1/products/{TOO_BIG}"),
        ("DELETE", f"/api/v1/products/{TOO_BIG}"),
        ("GET", f"/api/v1/orders/{TOO_BIG}"),
    ],
)
def test_an_id_beyond_the_integer_columns_is_rejected_as_invalid_not_a_server_error(
    client: TestClient, user_headers: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, headers=user_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "path"


def test_an_order_line_naming_a_product_id_beyond_the_integer_columns_is_invalid(
    client: TestClient, user_headers: dict[str, str]
) -> None:
    payload = {"items": [{"product_id": TOO_BIG, "quantity": 1}]}

    response = client.post("/api/v1/orders", json=payload, headers=user_headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items", 0, "product_id"]
