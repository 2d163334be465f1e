"""Application settings, read from the environment."""

import os
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_DATABASE_URL = "sqlite:///./shop.db"
DEV_SECRET_KEY = "dev-only-insecure-secret-change-me"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration for the shop service."""

    database_url: str
    secret_key: str

    @classmethod
    def from_env(cls) -> "Settings":
        """Build settings from ``SHOP_*`` environment variables."""
        return cls(
            database_url=os.environ.get("SHOP_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=os.environ.get("SHOP_SECRET_KEY", DEV_SECRET_KEY),
        )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings.from_env()
