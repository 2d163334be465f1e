"""The change the demo makes where an agent would: pagination on ``GET /api/v1/products`` of examples/shop,
written in the shop's own style, with a test. ``offset`` is bounded like the shop's ids (``MAX_INT``): an
unbounded one lets a client ask SQLite for an offset beyond its integer range, a 500 the contract tests
find.

The demo applies it between ``assign_skill`` and ``validate_results`` so the verdict judges a real
change; the acceptance tests apply it (and variants with one planted defect) to copies of the shop.
"""

from __future__ import annotations

from pathlib import Path

ROUTER = "shop/routers/products.py"
SERVICE = "shop/services/products.py"
TESTS = "tests/test_products.py"

_EDITS: dict[str, list[tuple[str, str]]] = {
    ROUTER: [
        ("from fastapi import APIRouter, HTTPException, status\n",
         "from fastapi import APIRouter, HTTPException, Query, status\n"),
        ("from shop.schemas import ProductCreate, ProductRead, ProductUpdate, RowId, error_responses\n",
         "from shop.schemas import MAX_INT, ProductCreate, ProductRead, ProductUpdate, RowId, error_responses\n"),
        ('''@router.get("", response_model=list[ProductRead])
def list_products(session: SessionDep) -> Sequence[Product]:
    """List all products."""
    return product_service.list_products(session)''',
         '''@router.get("", response_model=list[ProductRead])
def list_products(
    session: SessionDep,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_INT),
) -> Sequence[Product]:
    """List products, a page at a time (`limit` per page from `offset`)."""
    return product_service.list_products(session, limit=limit, offset=offset)'''),
    ],
    SERVICE: [
        ('''def list_products(session: Session) -> Sequence[Product]:
    return session.scalars(select(Product).order_by(Product.id)).all()''',
         '''def list_products(session: Session, limit: int = 20, offset: int = 0) -> Sequence[Product]:
    return session.scalars(select(Product).order_by(Product.id).limit(limit).offset(offset)).all()'''),
    ],
}

TEST = '''

def test_list_products_is_paginated(client: TestClient, make_product: Callable[..., Product]) -> None:
    made = [make_product(name=f"Item {i}", sku=f"PAGE-{i}") for i in range(3)]

    response = client.get("/api/v1/products", params={"limit": 2, "offset": 1})

    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [made[1].id, made[2].id]


def test_list_products_rejects_a_page_size_out_of_range(client: TestClient) -> None:
    assert client.get("/api/v1/products", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/products", params={"limit": 101}).status_code == 422
'''


def apply_pagination(project: Path) -> list[str]:
    """Edit a copy of examples/shop as the demo's task asks; returns the files changed."""
    for name, edits in _EDITS.items():
        path = project / name
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            if old not in text:
                raise ValueError(f"{name} is not the example shop's: cannot apply the demo's change")
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    tests = project / TESTS
    tests.write_text(tests.read_text(encoding="utf-8") + TEST, encoding="utf-8")
    return [*_EDITS, TESTS]
