"""HTTP routers; handlers stay thin and delegate to :mod:`shop.services`."""
