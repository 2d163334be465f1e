"""Security requirements and schemes.

What it does
    Reports security requirements added to or removed from the document (``security``) and from each
    operation, scopes added or removed, and security schemes added to or removed from the components — at
    oasdiff's levels (informational). One rule of our own is breaking: ``api-security-required``, an
    operation whose *effective* requirement (its own, else the document's) asked for no authentication and
    now does; every existing anonymous client breaks.
"""

from __future__ import annotations

from typing import Any

from ..engine import Differ

Requirement = tuple[str, ...]


def requirements(raw: Any) -> dict[Requirement, dict[str, set[str]]] | None:
    """``security`` as {sorted scheme names: {scheme: scopes}}; ``None`` when the field is absent."""
    if not isinstance(raw, list):
        return None
    found: dict[Requirement, dict[str, set[str]]] = {}
    for entry in raw:
        if isinstance(entry, dict):
            key = tuple(sorted(entry))
            found[key] = {name: {str(s) for s in scopes or []} if isinstance(scopes, list) else set()
                          for name, scopes in entry.items()}
    return found


def anonymous(effective: dict[Requirement, dict[str, set[str]]] | None) -> bool:
    """No authentication needed: no requirement, or an empty alternative ``{}``."""
    return not effective or () in effective


def _show(requirement: Requirement) -> str:
    return " + ".join(requirement) or "{} (anonymous)"


def compare_requirements(d: Differ, prefix: str, label: str | None, old: Any, new: Any, location: str,
                         old_pointer: str, new_pointer: str) -> None:
    """``prefix`` is ``api-global-security`` or ``api-security``."""
    before, after = requirements(old) or {}, requirements(new) or {}
    where = "the document" if label is None else "the operation"
    for key in sorted(set(before) - set(after)):
        d.emit(f"{prefix}-removed", f"the security requirement {_show(key)} was removed from {where}",
               operation=label, location=location, base_pointer=old_pointer)
    for key in sorted(set(after) - set(before)):
        d.emit(f"{prefix}-added", f"the security requirement {_show(key)} was added to {where}",
               operation=label, location=location, revision_pointer=new_pointer)
    for key in sorted(set(before) & set(after)):
        for scheme in key:
            for scope in sorted(after[key][scheme] - before[key][scheme]):
                d.emit(f"{prefix}-scope-added", f"the scope {scope!r} was added to the {scheme!r} requirement of "
                       f"{where}", operation=label, location=location, base_pointer=old_pointer,
                       revision_pointer=new_pointer)
            for scope in sorted(before[key][scheme] - after[key][scheme]):
                d.emit(f"{prefix}-scope-removed", f"the scope {scope!r} was removed from the {scheme!r} "
                       f"requirement of {where}", operation=label, location=location, base_pointer=old_pointer,
                       revision_pointer=new_pointer)


def check_operation_security(d: Differ, label: str, old_op: dict[str, Any], new_op: dict[str, Any],
                             old_pointer: str, new_pointer: str, location: str) -> None:
    compare_requirements(d, "api-security", label, old_op.get("security"), new_op.get("security"),
                         f"{location}/security", f"{old_pointer}/security", f"{new_pointer}/security")
    before = requirements(old_op.get("security"))
    after = requirements(new_op.get("security"))
    if before is None:
        before = requirements(d.base.data.get("security"))
    if after is None:
        after = requirements(d.revision.data.get("security"))
    if anonymous(before) and not anonymous(after):
        assert after is not None
        schemes = ", ".join(_show(k) for k in sorted(after))
        d.emit("api-security-required", f"the operation required no authentication and now requires {schemes}; "
               "existing anonymous clients will be rejected", operation=label, location=f"{location}/security",
               revision_pointer=f"{new_pointer}/security")


def check_document_security(d: Differ) -> None:
    compare_requirements(d, "api-global-security", None, d.base.data.get("security"),
                         d.revision.data.get("security"), "/security", "/security", "/security")
    old = _schemes(d.base.data)
    new = _schemes(d.revision.data)
    for name in sorted(set(old) - set(new)):
        d.emit("api-security-component-removed", f"the security scheme {name!r} was removed", operation=None,
               location=f"/components/securitySchemes/{name}", base_pointer=f"/components/securitySchemes/{name}")
    for name in sorted(set(new) - set(old)):
        d.emit("api-security-component-added", f"the security scheme {name!r} was added", operation=None,
               location=f"/components/securitySchemes/{name}",
               revision_pointer=f"/components/securitySchemes/{name}")


def _schemes(data: dict[str, Any]) -> dict[str, Any]:
    components = data.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    return schemes if isinstance(schemes, dict) else {}
