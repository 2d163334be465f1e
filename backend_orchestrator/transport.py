"""Starting the server on a transport: stdio (default) or Streamable HTTP.

HTTP off loopback requires a bearer token; the SDK's Host/Origin (DNS-rebinding) protection
stays on, with the bound host added to the allowed hosts.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from typing import Any

from .errors import ConfigError
from .state import Project

TOKEN_ENV = "BACKEND_ORCHESTRATOR_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token_auth(token: str, url: str) -> dict[str, Any]:
    from mcp.server.auth.provider import AccessToken, TokenVerifier
    from mcp.server.auth.settings import AuthSettings
    from pydantic import AnyHttpUrl

    class StaticToken(TokenVerifier):
        async def verify_token(self, presented: str) -> AccessToken | None:
            if hmac.compare_digest(presented.encode(), token.encode()):
                return AccessToken(token=presented, client_id="bearer", scopes=["orchestrator"])
            return None

    return {"token_verifier": StaticToken(),
            "auth": AuthSettings(issuer_url=AnyHttpUrl(url), resource_server_url=AnyHttpUrl(url),
                                 required_scopes=["orchestrator"])}


def serve(project: Project, tools: str = "core", transport: str = "stdio", host: str = "127.0.0.1",
          port: int = 8765, token: str | None = None) -> int:
    from .server import create_server

    if transport == "stdio":
        create_server(project, tools).run()
        return 0
    from mcp.server.transport_security import TransportSecuritySettings

    token = token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and not token:
        raise ConfigError(f"serving HTTP on {host!r} (off loopback) needs a bearer token: pass --token or set "
                          f"{TOKEN_ENV}")
    if not 1 <= port <= 65535:
        raise ConfigError(f"port {port} is out of range 1..65535")
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/mcp"
    options = _token_auth(token, url) if token else {}
    hosts = sorted({f"{host}:*", "127.0.0.1:*", "localhost:*", "[::1]:*"})
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts,
        allowed_origins=[f"http://{h}" for h in hosts],
    )
    create_server(project, tools, **options).run(
        "streamable-http", host=host, port=port, streamable_http_path="/mcp", transport_security=security)
    return 0
