from fastapi.testclient import TestClient


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_lists_versioned_routes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"] == {"title": "Shop API", "version": "1.0.0"}
    assert "/api/v1/products" in schema["paths"]
    assert "/api/v1/orders/{order_id}" in schema["paths"]
