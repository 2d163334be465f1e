"""Password hashing and HMAC-signed bearer tokens (standard library only)."""

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shop.config import get_settings
from shop.db import SessionDep
from shop.models import User

HASH_ALGORITHM = "pbkdf2_sha256"
PBKDF2_ITERATIONS = 600_000

bearer_scheme = HTTPBearer(description="Token from POST /api/v1/auth/token")


def hash_password(password: str) -> str:
    """Hash a password as ``pbkdf2_sha256$<iterations>$<salt>$<hash>``."""
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), PBKDF2_ITERATIONS)
    return f"{HASH_ALGORITHM}${PBKDF2_ITERATIONS}${salt}${digest.hex()}"


def verify_password(password: str, hashed: str) -> bool:
    """Check a password against a hash produced by :func:`hash_password`."""
    try:
        algorithm, iterations, salt, expected = hashed.split("$")
        rounds, salt_bytes = int(iterations), bytes.fromhex(salt)
    except ValueError:
        return False
    if algorithm != HASH_ALGORITHM:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt_bytes, rounds)
    return hmac.compare_digest(digest.hex(), expected)


def _sign(payload: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def create_access_token(user_id: int) -> str:
    """Return a bearer token of the form ``<user_id>.<signature>``."""
    payload = str(user_id)
    return f"{payload}.{_sign(payload)}"


def decode_access_token(token: str) -> int | None:
    """Return the user id carried by a valid token, or ``None``."""
    payload, _, signature = token.partition(".")
    if not (payload.isascii() and payload.isdigit()):
        return None
    if not hmac.compare_digest(signature.encode(), _sign(payload).encode()):
        return None
    return int(payload)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_user(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer_scheme)],
    session: SessionDep,
) -> User:
    """Resolve the authenticated user from the bearer token."""
    user_id = decode_access_token(credentials.credentials)
    if user_id is None:
        raise _unauthorized("Invalid token")
    user = session.get(User, user_id)
    if user is None:
        raise _unauthorized("Unknown user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_admin(user: CurrentUser) -> User:
    """Allow the request only for administrators."""
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Admin privileges required")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
