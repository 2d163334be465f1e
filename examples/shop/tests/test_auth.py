import pytest
from fastapi.testclient import TestClient

from shop.models import User
from shop.security import (
    create_access_token,
    decode_access_token,
    hash_password,
    verify_password,
)


def test_token_roundtrip(client: TestClient, user: User, password: str) -> None:
    response = client.post(
        "/api/v1/auth/token",
        json={"email": " Alice@Example.com ", "password": password},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"

    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == user.id


@pytest.mark.parametrize(
    ("email", "wrong_password"),
    [("alice@example.com", True), ("nobody@example.com", False)],
)
def test_token_rejects_bad_credentials(
    client: TestClient, user: User, password: str, email: str, wrong_password: bool
) -> None:
    sent_password = "wrong-password" if wrong_password else password
    response = client.post("/api/v1/auth/token", json={"email": email, "password": sent_password})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer 1.deadbeef",
        "Bearer not-a-token",
        "Bearer abc.def",
        "Basic YWxpY2U6cGFzcw==",
    ],
)
def test_invalid_tokens_are_rejected(client: TestClient, user: User, authorization: str) -> None:
    response = client.get("/api/v1/users/me", headers={"Authorization": authorization})

    assert response.status_code == 401


def test_token_for_deleted_user_is_rejected(client: TestClient) -> None:
    token = create_access_token(999)

    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json()["detail"] == "Unknown user"


def test_token_signature_binds_user_id() -> None:
    token = create_access_token(7)
    _, signature = token.split(".")

    assert decode_access_token(token) == 7
    assert decode_access_token(f"8.{signature}") is None
    assert decode_access_token("².é") is None


def test_password_hashing() -> None:
    hashed = hash_password("hunter2hunter2")

    assert hashed.startswith("pbkdf2_sha256$")
    assert hash_password("hunter2hunter2") != hashed  # salted
    assert verify_password("hunter2hunter2", hashed)
    assert not verify_password("hunter3hunter3", hashed)
    assert not verify_password("hunter2hunter2", "garbage")
