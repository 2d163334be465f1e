"""Security requirements and schemes.

What it does
    Reports security requirements added to or removed from the document (``security``) and from each
    operation, scopes added or removed, security schemes added to or removed from the components, and what
    changed inside a scheme both documents define (:mod:`.security_schemes`) — at oasdiff's levels
    (informational). Two rules of our own are breaking, both judged on an operation's *effective* requirement
    (its own, else the document's): ``api-security-required``, an operation that asked for no authentication
    and now does (every existing anonymous client breaks), and ``api-security-credentials-changed``, an
    operation that requires a scheme whose credentials clients must now send differently (another type, an
    apiKey moved or renamed, ``Bearer`` became ``Basic``, an OAuth flow or URL or a scope it uses gone, another
    OpenID Connect URL).
"""

from __future__ import annotations

from typing import Any

from ..engine import Differ
from ..load import escape
from .security_schemes import compare_scheme, schemes

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
        needed = ", ".join(_show(k) for k in sorted(after))
        d.emit("api-security-required", f"the operation required no authentication and now requires {needed}; "
               "existing anonymous clients will be rejected", operation=label, location=f"{location}/security",
               revision_pointer=f"{new_pointer}/security")
    elif before and after and not anonymous(after):
        _check_credentials(d, label, before, after)


def _check_credentials(d: Differ, label: str, before: dict[Requirement, dict[str, set[str]]],
                       after: dict[Requirement, dict[str, set[str]]]) -> None:
    """Schemes the operation requires in both documents whose credentials clients must now send differently."""
    used_before: dict[str, set[str]] = {}
    for alternative in before.values():
        for name, scopes in alternative.items():
            used_before.setdefault(name, set()).update(scopes)
    used_after = {name for alternative in after.values() for name in alternative}
    old_schemes, new_schemes = schemes(d.base), schemes(d.revision)
    for name in sorted(set(used_before) & used_after & set(old_schemes) & set(new_schemes)):
        (old, old_ptr), (new, new_ptr) = old_schemes[name], new_schemes[name]
        found = [c for c in compare_scheme(old, new)
                 if c.breaks and (c.scope is None or c.scope in used_before[name])]
        if found:
            what = "; ".join(dict.fromkeys(c.what for c in found))
            d.emit("api-security-credentials-changed", f"the operation requires the security scheme {name!r}: "
                   f"{what}; clients authenticating the old way will be rejected", operation=label,
                   location=f"/components/securitySchemes/{escape(name)}", base_pointer=old_ptr,
                   revision_pointer=new_ptr)


def check_document_security(d: Differ) -> None:
    compare_requirements(d, "api-global-security", None, d.base.data.get("security"),
                         d.revision.data.get("security"), "/security", "/security", "/security")
    old, new = schemes(d.base), schemes(d.revision)
    for name in sorted(set(old) - set(new)):
        where = f"/components/securitySchemes/{escape(name)}"
        d.emit("api-security-component-removed", f"the security scheme {name!r} was removed", operation=None,
               location=where, base_pointer=where)
    for name in sorted(set(new) - set(old)):
        where = f"/components/securitySchemes/{escape(name)}"
        d.emit("api-security-component-added", f"the security scheme {name!r} was added", operation=None,
               location=where, revision_pointer=where)
    for name in sorted(set(old) & set(new)):
        (b, bp), (r, rp) = old[name], new[name]
        where = f"/components/securitySchemes/{escape(name)}"
        for change in compare_scheme(b, r):
            d.emit(change.rule, f"the security scheme {name!r}: {change.what}", operation=None,
                   location=f"{where}{change.pointer}", base_pointer=f"{bp}{change.pointer}",
                   revision_pointer=f"{rp}{change.pointer}")
