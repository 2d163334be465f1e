"""User accounts and authentication."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.models import User
from shop.schemas import UserCreate
from shop.security import hash_password, verify_password
from shop.services import ConflictError


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def create_user(session: Session, data: UserCreate, *, is_admin: bool = False) -> User:
    """Create a user account; raises ConflictError if the email is taken."""
    if get_user_by_email(session, data.email) is not None:
        raise ConflictError(f"Email {data.email} is already registered")
    user = User(
        email=data.email,
        name=data.name,
        hashed_password=hash_password(data.password),
        is_admin=is_admin,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"Email {data.email} is already registered") from exc
    session.refresh(user)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user if the credentials are valid, else ``None``."""
    user = get_user_by_email(session, email)
    if user is None or not verify_password(password, user.hashed_password):
        return None
    return user
