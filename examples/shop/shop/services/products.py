"""Product catalogue."""

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from shop.models import OrderItem, Product
from shop.schemas import ProductCreate, ProductUpdate
from shop.services import ConflictError


def list_products(session: Session) -> Sequence[Product]:
    return session.scalars(select(Product).order_by(Product.id)).all()


def get_product(session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def create_product(session: Session, data: ProductCreate) -> Product:
    """Add a product; raises ConflictError if the SKU already exists."""
    if session.scalar(select(exists().where(Product.sku == data.sku))):
        raise ConflictError(f"SKU {data.sku} already exists")
    product = Product(**data.model_dump())
    session.add(product)
    session.commit()
    session.refresh(product)
    return product


def update_product(session: Session, product: Product, data: ProductUpdate) -> Product:
    """Apply the fields that were sent in ``data`` to ``product``."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(product, field, value)
    session.commit()
    session.refresh(product)
    return product


def delete_product(session: Session, product: Product) -> None:
    """Delete a product; raises ConflictError if orders reference it."""
    if session.scalar(select(exists().where(OrderItem.product_id == product.id))):
        raise ConflictError(f"Product {product.id} is referenced by existing orders")
    session.delete(product)
    session.commit()
