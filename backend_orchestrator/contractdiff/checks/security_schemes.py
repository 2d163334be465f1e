"""Security schemes (``components/securitySchemes``): what changed in each scheme both documents define.

What it does
    Compares each scheme field by field: its ``type``; an apiKey's ``in`` and ``name`` (header names
    case-insensitively); an http scheme's ``scheme`` (case-insensitively) and ``bearerFormat``; an OAuth2
    scheme's flows (added, removed) and, in each flow, ``authorizationUrl``, ``tokenUrl``, ``refreshUrl`` and
    the scopes (added, removed, described differently); an openIdConnect scheme's ``openIdConnectUrl``. Each
    difference is one :class:`SchemeChange`; :mod:`.security` reports them once for the components at
    oasdiff's levels (``api-security-component-*``, informational but for ``refreshUrl``), and once per
    operation whose requirement uses the scheme when clients built for the old scheme fail
    (``api-security-credentials-changed``, breaking).
Why it matters
    A client sends its credentials where and how the scheme said: the ``X-API-Key`` header, a ``Bearer``
    token from that token URL with those scopes. Move the key to a query parameter, switch to ``Basic``,
    drop the flow or the scope it uses, and every such client is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine import Spec
from ..load import escape

FLOW_URLS = (("authorizationUrl", "api-security-component-oauth-url-changed", True),
             ("tokenUrl", "api-security-component-oauth-token-url-changed", True),
             ("refreshUrl", "api-security-component-oauth-refresh-url-changed", False))


@dataclass(frozen=True)
class SchemeChange:
    """One difference of a scheme. ``breaks``: clients that authenticate the old way fail (always, or — for a
    removed ``scope`` — when they use that scope)."""

    rule: str
    what: str
    pointer: str  # below the scheme: "/type", "/flows/implicit/tokenUrl"...
    breaks: bool = False
    scope: str | None = None


def schemes(spec: Spec) -> dict[str, tuple[dict[str, Any], str]]:
    """{name: (resolved scheme, its pointer)} of a document's ``components/securitySchemes``."""
    components = spec.data.get("components")
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    if not isinstance(raw, dict):
        return {}
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for name, node in raw.items():
        resolved, pointer = spec.deref(node, f"/components/securitySchemes/{escape(name)}")
        found[name] = (resolved if isinstance(resolved, dict) else {}, pointer)
    return found


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "(none)"


def compare_scheme(old: dict[str, Any], new: dict[str, Any]) -> list[SchemeChange]:
    """The differences between two versions of one scheme, in a stable order."""
    old_type, new_type = old.get("type"), new.get("type")
    if old_type != new_type:
        return [SchemeChange("api-security-component-type-changed", f"its type changed from {_text(old_type)!r} "
                             f"to {_text(new_type)!r}", "/type", breaks=True)]
    if old_type == "apiKey":
        return _api_key(old, new)
    if old_type == "http":
        return _http(old, new)
    if old_type == "oauth2":
        return _oauth2(old, new)
    if old_type == "openIdConnect" and old.get("openIdConnectUrl") != new.get("openIdConnectUrl"):
        return [SchemeChange("api-security-component-open-id-connect-url-changed", "its openIdConnectUrl changed "
                             f"from {_text(old.get('openIdConnectUrl'))!r} to {_text(new.get('openIdConnectUrl'))!r}",
                             "/openIdConnectUrl", breaks=True)]
    return []


def _api_key(old: dict[str, Any], new: dict[str, Any]) -> list[SchemeChange]:
    found = []
    if old.get("in") != new.get("in"):
        found.append(SchemeChange("api-security-component-api-key-location-changed", f"the key moved from the "
                                  f"{_text(old.get('in'))} to the {_text(new.get('in'))}", "/in", breaks=True))
    old_name, new_name = old.get("name"), new.get("name")
    if old.get("in") == new.get("in") == "header" and isinstance(old_name, str) and isinstance(new_name, str):
        old_name, new_name = old_name.lower(), new_name.lower()
    if old_name != new_name:
        found.append(SchemeChange("api-security-component-api-key-name-changed", f"the key's name changed from "
                                  f"{_text(old.get('name'))!r} to {_text(new.get('name'))!r}", "/name", breaks=True))
    return found


def _http(old: dict[str, Any], new: dict[str, Any]) -> list[SchemeChange]:
    found = []
    old_scheme, new_scheme = str(old.get("scheme", "")).lower(), str(new.get("scheme", "")).lower()
    if old_scheme != new_scheme:
        found.append(SchemeChange("api-security-component-http-scheme-changed", f"the http authorization scheme "
                                  f"changed from {old_scheme or '(none)'!r} to {new_scheme or '(none)'!r}",
                                  "/scheme", breaks=True))
    if old.get("bearerFormat") != new.get("bearerFormat"):
        found.append(SchemeChange("api-security-component-bearer-format-changed", f"bearerFormat changed from "
                                  f"{_text(old.get('bearerFormat'))!r} to {_text(new.get('bearerFormat'))!r}",
                                  "/bearerFormat"))
    return found


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _oauth2(old: dict[str, Any], new: dict[str, Any]) -> list[SchemeChange]:
    found = []
    old_flows, new_flows = _dict(old.get("flows")), _dict(new.get("flows"))
    for flow in sorted(set(old_flows) - set(new_flows)):
        found.append(SchemeChange("api-security-component-oauth-flow-removed", f"the OAuth flow {flow!r} was "
                                  "removed", f"/flows/{escape(flow)}", breaks=True))
    for flow in sorted(set(new_flows) - set(old_flows)):
        found.append(SchemeChange("api-security-component-oauth-flow-added", f"the OAuth flow {flow!r} was added",
                                  f"/flows/{escape(flow)}"))
    for flow in sorted(set(old_flows) & set(new_flows)):
        before, after = _dict(old_flows[flow]), _dict(new_flows[flow])
        at = f"/flows/{escape(flow)}"
        for key, rule, breaks in FLOW_URLS:
            if before.get(key) != after.get(key):
                found.append(SchemeChange(rule, f"the {key} of the OAuth flow {flow!r} changed from "
                                          f"{_text(before.get(key))!r} to {_text(after.get(key))!r}", f"{at}/{key}",
                                          breaks=breaks))
        old_scopes, new_scopes = _dict(before.get("scopes")), _dict(after.get("scopes"))
        for scope in sorted(set(old_scopes) - set(new_scopes)):
            found.append(SchemeChange("api-security-component-oauth-scope-removed", f"the scope {scope!r} was "
                                      f"removed from the OAuth flow {flow!r}", f"{at}/scopes", breaks=True,
                                      scope=scope))
        for scope in sorted(set(new_scopes) - set(old_scopes)):
            found.append(SchemeChange("api-security-component-oauth-scope-added", f"the scope {scope!r} was added "
                                      f"to the OAuth flow {flow!r}", f"{at}/scopes"))
        for scope in sorted(set(old_scopes) & set(new_scopes)):
            if old_scopes[scope] != new_scopes[scope]:
                found.append(SchemeChange("api-security-component-oauth-scope-changed", f"the description of scope "
                                          f"{scope!r} of the OAuth flow {flow!r} changed", f"{at}/scopes"))
    return found
