"""Shared fixtures: a fresh SQLite file per test, a TestClient, user helpers."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shop import security
from shop.db import Base, create_db_engine, get_session
from shop.main import app
from shop.models import Product, User
from shop.schemas import UserCreate
from shop.services import users as user_service

DEFAULT_PASSWORD = "correct-horse-battery"

UserFactory = Callable[..., User]
AuthHeaders = Callable[[User], dict[str, str]]


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production uses 600k PBKDF2 rounds; tests don't need to pay for that."""
    monkeypatch.setattr(security, "PBKDF2_ITERATIONS", 1_000)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'test.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    def override_get_session() -> Iterator[Session]:
        with session_factory() as session:
            yield session

    app.dependency_overrides[get_session] = override_get_session
    try:
        with TestClient(app) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def make_user(session: Session) -> UserFactory:
    """Create users directly through the service layer."""
    counter = 0

    def _make_user(
        email: str | None = None,
        *,
        name: str = "Test User",
        password: str = DEFAULT_PASSWORD,
        is_admin: bool = False,
    ) -> User:
        nonlocal counter
        counter += 1
        email = email or f"user{counter}@example.com"
        data = UserCreate(email=email, name=name, password=password)
        return user_service.create_user(session, data, is_admin=is_admin)

    return _make_user


@pytest.fixture
def auth_headers() -> AuthHeaders:
    def _auth_headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {security.create_access_token(user.id)}"}

    return _auth_headers


@pytest.fixture
def password() -> str:
    """The password every ``make_user`` user gets unless told otherwise."""
    return DEFAULT_PASSWORD


@pytest.fixture
def user(make_user: UserFactory) -> User:
    return make_user("alice@example.com", name="Alice")


@pytest.fixture
def admin(make_user: UserFactory) -> User:
    return make_user("admin@example.com", name="Admin", is_admin=True)


@pytest.fixture
def user_headers(user: User, auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(user)


@pytest.fixture
def admin_headers(admin: User, auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(admin)


@pytest.fixture
def make_product(session: Session) -> Callable[..., Product]:
    """Insert a product row directly (bypassing the admin-only API)."""
    counter = 0

    def _make_product(**overrides: object) -> Product:
        nonlocal counter
        counter += 1
        fields: dict[str, object] = {
            "sku": f"SKU-{counter:04d}",
            "name": f"Product {counter}",
            "price_cents": 1000,
            "stock": 10,
            "category": "general",
        }
        fields.update(overrides)
        product = Product(**fields)
        session.add(product)
        session.commit()
        return product

    return _make_product
