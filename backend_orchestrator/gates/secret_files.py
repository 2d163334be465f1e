"""Credentials handed to a subprocess through a file only the owner may read, and kept out of evidence.

The runtime gates get headers from the target's seed step (``appserver``) and pass them to their
drivers (locust, schemathesis) as a 0600 file in the scratch folder, deleted after the run. Should a
value still reach a log or a JSON file (an app that prints its request headers, a seed that prints
its token), :func:`redact` replaces it before the files become evidence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

REDACTED = "[redacted]"


def write_private(path: Path, data: object) -> None:
    """JSON only the owner may read (mode 0600 from creation on): for credentials handed to a subprocess."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def secret_texts(headers: dict[str, str]) -> list[str]:
    """The strings to keep out of files: each header value, and its credential after a scheme (Bearer …)."""
    found = set()
    for value in headers.values():
        found.add(value.strip())
        _scheme, _, credential = value.strip().partition(" ")
        if credential.strip():
            found.add(credential.strip())
    return sorted((text for text in found if len(text) >= 6), key=len, reverse=True)


def redact(folder: Path, headers: Mapping[str, str], *, recursive: bool = False) -> None:
    """Replace any header value left in the files under ``folder``: the logs and JSON files directly in
    it, or (``recursive``) every file below it, reports and binary files included (bytes are replaced:
    a scratch database with a token in it is evidence, not state)."""
    texts = [t.encode("utf-8") for t in secret_texts(dict(headers))]
    if not texts or not folder.is_dir():
        return
    paths = folder.rglob("*") if recursive else folder.iterdir()
    for path in paths:
        if not path.is_file() or path.is_symlink():
            continue
        if not recursive and path.suffix not in (".log", ".json", ".jsonl", ".txt"):
            continue
        content = path.read_bytes()
        cleaned = content
        for text in texts:
            cleaned = cleaned.replace(text, REDACTED.encode("utf-8"))
        if cleaned != content:
            path.write_bytes(cleaned)
