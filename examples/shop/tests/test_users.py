from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shop.models import User
from shop.security import verify_password


def test_create_user_returns_public_fields(client: TestClient, session: Session) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "Bob@Example.com", "name": "Bob", "password": "s3cret-pass"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "bob@example.com"
    assert body["name"] == "Bob"
    assert body["is_admin"] is False
    assert "password" not in body and "hashed_password" not in body

    stored = session.get(User, body["id"])
    assert stored is not None
    assert stored.hashed_password != "s3cret-pass"
    assert verify_password("s3cret-pass", stored.hashed_password)


def test_create_user_duplicate_email_conflicts(client: TestClient, user: User) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "ALICE@example.com", "name": "Other", "password": "another-pass"},
    )

    assert response.status_code == 409
    assert "already registered" in response.json()["detail"]


def test_create_user_cannot_make_itself_admin(client: TestClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "email": "eve@example.com",
            "name": "Eve",
            "password": "password123",
            "is_admin": True,
        },
    )

    assert response.status_code == 201
    assert response.json()["is_admin"] is False


def test_create_user_validation(client: TestClient) -> None:
    bad_payloads = [
        {"email": "not-an-email", "name": "X", "password": "password123"},
        {"email": "x@example.com", "name": "", "password": "password123"},
        {"email": "x@example.com", "name": "X", "password": "short"},
        {"email": "x@example.com", "name": "X"},
    ]
    for payload in bad_payloads:
        response = client.post("/api/v1/users", json=payload)
        assert response.status_code == 422, payload


def test_me_returns_current_user(client: TestClient, user: User, user_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/users/me", headers=user_headers)

    assert response.status_code == 200
    assert response.json()["id"] == user.id
    assert response.json()["email"] == "alice@example.com"


def test_me_requires_authentication(client: TestClient) -> None:
    response = client.get("/api/v1/users/me")

    assert response.status_code == 401
