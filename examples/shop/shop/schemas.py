"""Pydantic request and response models."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]*$"


class ORMModel(BaseModel):
    """Base for response models that are built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=255, pattern=EMAIL_PATTERN),
]


# --- users -----------------------------------------------------------------


class UserCreate(BaseModel):
    email: Email
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=128)


class UserRead(ORMModel):
    id: int
    email: str
    name: str
    is_admin: bool
    created_at: datetime


# --- auth ------------------------------------------------------------------


class TokenRequest(BaseModel):
    email: Email
    password: str = Field(max_length=128)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


# --- products --------------------------------------------------------------


class ProductCreate(BaseModel):
    sku: str = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    price_cents: int = Field(ge=0)
    stock: int = Field(default=0, ge=0)
    category: str = Field(min_length=1, max_length=50)


class ProductUpdate(BaseModel):
    """Partial update; only the fields sent are changed. The SKU is immutable."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    price_cents: int | None = Field(default=None, ge=0)
    stock: int | None = Field(default=None, ge=0)
    category: str | None = Field(default=None, min_length=1, max_length=50)

    @field_validator("name", "price_cents", "stock", "category")
    @classmethod
    def _reject_null(cls, value: str | int | None) -> str | int:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class ProductRead(ORMModel):
    id: int
    sku: str
    name: str
    description: str | None
    price_cents: int
    stock: int
    category: str
    created_at: datetime


# --- orders ----------------------------------------------------------------


class OrderItemCreate(BaseModel):
    product_id: int = Field(gt=0)
    quantity: int = Field(ge=1, le=100)


class OrderCreate(BaseModel):
    items: list[OrderItemCreate] = Field(min_length=1, max_length=50)


class OrderItemRead(ORMModel):
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderRead(ORMModel):
    id: int
    user_id: int
    status: str
    total_cents: int
    created_at: datetime
    items: list[OrderItemRead]
