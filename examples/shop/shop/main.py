"""FastAPI application entry point: ``uvicorn shop.main:app``."""

from fastapi import APIRouter, FastAPI

from shop.routers import auth, orders, products, users

app = FastAPI(title="Shop API", version="1.0.0")

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(products.router)
api_router.include_router(orders.router)

app.include_router(api_router)


@app.get("/health", tags=["health"])
def health() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok"}
