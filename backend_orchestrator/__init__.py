"""backend-orchestrator: a Claude Agent Skill and MCP server that coordinates backend work on a
target project and validates it with real quality gates."""

__version__ = "0.1.0"
__all__ = ["__version__"]
