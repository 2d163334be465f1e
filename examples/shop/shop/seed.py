"""Demo data for load tests: a customer with orders among many others, and 200 products.

``seed()`` fills the database that ``SHOP_DATABASE_URL`` names (migrated, empty) and returns what a
load generator needs to call the authenticated and parameterised endpoints: a bearer token for the
customer and the ids of one product and one of the customer's orders. backend-orchestrator runs it
on its scratch database before it serves the app (``[tool.backend-orchestrator.serve] seed``).
"""

import secrets

from shop.db import SessionLocal
from shop.models import Order, OrderItem, Product, User
from shop.security import create_access_token, hash_password

PRODUCTS = 200
CUSTOMERS = 40  # besides the one whose token is returned
ORDERS_PER_CUSTOMER = 20
ITEMS_PER_ORDER = 3
CATEGORIES = ("books", "games", "garden", "kitchen", "music", "office", "sports", "toys")


def _products() -> list[Product]:
    return [
        Product(
            sku=f"SKU-{n:05d}",
            name=f"Product {n}",
            description=f"Demo product {n}",
            price_cents=199 + (n * 37) % 9800,
            stock=10_000,
            category=CATEGORIES[n % len(CATEGORIES)],
        )
        for n in range(1, PRODUCTS + 1)
    ]


def _orders(user: User, products: list[Product], first: int) -> list[Order]:
    orders = []
    for k in range(ORDERS_PER_CUSTOMER):
        order = Order(user=user, status="paid" if k % 4 else "pending", total_cents=0)
        for j in range(ITEMS_PER_ORDER):
            product = products[(first * 7 + k * 13 + j * 29) % len(products)]
            quantity = 1 + (k + j) % 3
            order.items.append(OrderItem(product=product, quantity=quantity, unit_price_cents=product.price_cents))
            order.total_cents += quantity * product.price_cents
        orders.append(order)
    return orders


def seed() -> dict[str, dict[str, str]]:
    """Create the demo data; return the customer's bearer header and ids for request paths."""
    hashed = hash_password(secrets.token_urlsafe(16))  # nobody logs in with it: the token is minted below
    with SessionLocal() as session:
        products = _products()
        session.add_all(products)
        users = [
            User(email=f"customer{n}@example.com", name=f"Customer {n}", hashed_password=hashed)
            for n in range(CUSTOMERS + 1)
        ]
        session.add_all(users)
        for n, user in enumerate(users):
            session.add_all(_orders(user, products, n))
        session.commit()
        customer = users[0]
        order_id = customer.orders[ORDERS_PER_CUSTOMER // 2].id
        product_id = products[PRODUCTS // 2].id
        token = create_access_token(customer.id)
    return {
        "headers": {"Authorization": f"Bearer {token}"},
        "values": {"product_id": str(product_id), "order_id": str(order_id)},
    }
