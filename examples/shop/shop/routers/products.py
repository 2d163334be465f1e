from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, status

from shop.db import SessionDep
from shop.models import Product
from shop.schemas import ProductCreate, ProductRead, ProductUpdate, RowId, error_responses
from shop.security import AdminUser
from shop.services import ConflictError
from shop.services import products as product_service

router = APIRouter(prefix="/products", tags=["products"])


def _get_or_404(session: SessionDep, product_id: int) -> Product:
    product = product_service.get_product(session, product_id)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Product not found")
    return product


@router.get("", response_model=list[ProductRead])
def list_products(session: SessionDep) -> Sequence[Product]:
    """List all products."""
    return product_service.list_products(session)


@router.get("/{product_id}", response_model=ProductRead, responses=error_responses(404))
def read_product(product_id: RowId, session: SessionDep) -> Product:
    """Return one product."""
    return _get_or_404(session, product_id)


@router.post("", response_model=ProductRead, status_code=201, responses=error_responses(400, 401, 403, 409))
def create_product(data: ProductCreate, session: SessionDep, _admin: AdminUser) -> Product:
    """Create a product (admin only)."""
    try:
        return product_service.create_product(session, data)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


@router.patch("/{product_id}", response_model=ProductRead, responses=error_responses(400, 401, 403, 404))
def update_product(product_id: RowId, data: ProductUpdate, session: SessionDep, _admin: AdminUser) -> Product:
    """Change some fields of a product (admin only)."""
    product = _get_or_404(session, product_id)
    return product_service.update_product(session, product, data)


@router.delete("/{product_id}", status_code=204, responses=error_responses(404, 409))
def delete_product(product_id: RowId, session: SessionDep) -> None:
    """Delete a product that no order refers to."""
    product = _get_or_404(session, product_id)
    try:
        product_service.delete_product(session, product)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
