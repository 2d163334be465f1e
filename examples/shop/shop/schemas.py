"""Pydantic request and response models, and the error responses the routes document."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]*$"
# The models' Integer columns are 32-bit on PostgreSQL; a larger number can name no row and makes the
# database driver fail (SQLite's overflows at 64 bits), so requests with one are rejected up front.
MAX_INT = 2**31 - 1


class ORMModel(BaseModel):
    """Base for response models that are built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


def _assume_utc(value: object) -> object:
    # SQLite stores no offset; the timestamps it gives back were written as UTC (CURRENT_TIMESTAMP).
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# The id of a row in a path or a body.
RowId = Annotated[int, Field(ge=1, le=MAX_INT)]

# Always sent with its offset, as the documented `date-time` format (RFC 3339) requires.
UTCDatetime = Annotated[AwareDatetime, BeforeValidator(_assume_utc)]


class ErrorResponse(BaseModel):
    """The body of every error the shop answers with (``HTTPException``'s shape)."""

    detail: str


ERROR_DESCRIPTIONS = {
    400: "Malformed request body, or a request the current data cannot satisfy",
    401: "Missing, invalid or unknown bearer token",
    403: "Authenticated, but not allowed to do this",
    404: "The resource does not exist",
    409: "Conflicts with existing data",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can answer with these error statuses."""
    return {code: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


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
    created_at: UTCDatetime


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
    price_cents: int = Field(ge=0, le=MAX_INT)
    stock: int = Field(default=0, ge=0, le=MAX_INT)
    category: str = Field(min_length=1, max_length=50)


class ProductUpdate(BaseModel):
    """Partial update; only the fields sent are changed. The SKU is immutable."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    price_cents: int | None = Field(default=None, ge=0, le=MAX_INT)
    stock: int | None = Field(default=None, ge=0, le=MAX_INT)
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
    created_at: UTCDatetime


# --- orders ----------------------------------------------------------------


class OrderItemCreate(BaseModel):
    product_id: RowId
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
    created_at: UTCDatetime
    items: list[OrderItemRead]
