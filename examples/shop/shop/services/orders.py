"""Order placement and lookup."""

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop.models import Order, OrderItem, Product, User
from shop.schemas import OrderCreate
from shop.services import InsufficientStockError, NotFoundError


def place_order(session: Session, user: User, data: OrderCreate) -> Order:
    """Create an order for ``user``, reserving stock for every line.

    Lines for the same product are merged. Either every line is in stock and
    all stock is decremented, or nothing changes.
    """
    quantities: Counter[int] = Counter()
    for item in data.items:
        quantities[item.product_id] += item.quantity

    products = {
        product.id: product
        for product in session.scalars(select(Product).where(Product.id.in_(quantities)).with_for_update())
    }
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise NotFoundError(f"Product(s) not found: {', '.join(map(str, missing))}")

    for product_id, quantity in quantities.items():
        product = products[product_id]
        if product.stock < quantity:
            raise InsufficientStockError(
                f"Insufficient stock for product {product_id}: "
                f"requested {quantity}, available {product.stock}"
            )

    order = Order(user_id=user.id, status="pending", total_cents=0)
    for product_id, quantity in quantities.items():
        product = products[product_id]
        product.stock -= quantity
        order.items.append(
            OrderItem(
                product_id=product_id,
                quantity=quantity,
                unit_price_cents=product.price_cents,
            )
        )
        order.total_cents += quantity * product.price_cents
    session.add(order)
    session.commit()
    session.refresh(order)
    return order


def list_orders_for_user(session: Session, user_id: int) -> Sequence[Order]:
    """Return the user's orders, newest first."""
    query = (
        select(Order)
        .where(Order.user_id == user_id)
        .options(selectinload(Order.items))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    return session.scalars(query).all()


def get_order(session: Session, order_id: int) -> Order | None:
    return session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items)))
