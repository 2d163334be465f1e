from fastapi import APIRouter, HTTPException, status

from shop.db import SessionDep
from shop.schemas import TokenRequest, TokenResponse, error_responses
from shop.security import create_access_token
from shop.services import users as user_service

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=error_responses(400, 401))
def issue_token(credentials: TokenRequest, session: SessionDep) -> TokenResponse:
    """Exchange email and password for a bearer token."""
    user = user_service.authenticate(session, credentials.email, credentials.password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenResponse(access_token=create_access_token(user.id))
