from fastapi import APIRouter, HTTPException, status

from shop.db import SessionDep
from shop.models import User
from shop.schemas import UserCreate, UserRead, error_responses
from shop.security import CurrentUser
from shop.services import ConflictError
from shop.services import users as user_service

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", response_model=UserRead, status_code=201, responses=error_responses(400, 409))
def create_user(data: UserCreate, session: SessionDep) -> User:
    """Register a new (non-admin) user account."""
    try:
        return user_service.create_user(session, data)
    except ConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc


@router.get("/me", response_model=UserRead, responses=error_responses(401))
def read_me(user: CurrentUser) -> User:
    """Return the authenticated user."""
    return user
