"""Helpers shared by test modules (imported by the modules themselves, not through conftest)."""
