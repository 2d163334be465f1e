"""Business logic. Services work on a SQLAlchemy session and know nothing of HTTP."""


class ServiceError(Exception):
    """Base class for domain errors raised by the service layer."""


class ConflictError(ServiceError):
    """A uniqueness rule would be violated (duplicate email, SKU, ...)."""


class NotFoundError(ServiceError):
    """A referenced entity does not exist."""


class InsufficientStockError(ServiceError):
    """An order asks for more units than are in stock."""
