"""Shop: a small FastAPI backend for users, products and orders."""
