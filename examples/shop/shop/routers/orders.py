from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, status

from shop.db import SessionDep
from shop.models import Order
from shop.schemas import OrderCreate, OrderRead, RowId, error_responses
from shop.security import CurrentUser
from shop.services import InsufficientStockError, NotFoundError
from shop.services import orders as order_service

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("", response_model=OrderRead, status_code=201, responses=error_responses(400, 401, 404))
def place_order(data: OrderCreate, session: SessionDep, user: CurrentUser) -> Order:
    """Place an order for the authenticated user."""
    try:
        return order_service.place_order(session, user, data)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except InsufficientStockError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc


@router.get("", response_model=list[OrderRead], responses=error_responses(401))
def list_my_orders(session: SessionDep, user: CurrentUser) -> Sequence[Order]:
    """List the authenticated user's orders, newest first."""
    return order_service.list_orders_for_user(session, user.id)


@router.get("/{order_id}", response_model=OrderRead, responses=error_responses(401, 403, 404))
def read_order(order_id: RowId, session: SessionDep, user: CurrentUser) -> Order:
    """Return one order; users may only see their own, admins see all."""
    order = order_service.get_order(session, order_id)
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Order not found")
    if order.user_id != user.id and not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Not your order")
    return order
