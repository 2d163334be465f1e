"""``contract diff BASE REV [--format json|text] [--fail-on breaking|warning]``.

Exit codes: 0 nothing at the ``--fail-on`` level (default: breaking), 1 something breaks, 2 a usage error or
a file that cannot be read or is not OpenAPI 3.0/3.1 (the message says why, on stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from .load import SpecError
from .model import Level


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backend-orchestrator contract",
                                     description="Compare OpenAPI contracts.")
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("diff", help="report the changes from BASE to REV and whether they break clients")
    cmd.add_argument("base", metavar="BASE", help="the OpenAPI document clients were built against")
    cmd.add_argument("revision", metavar="REV", help="the new OpenAPI document")
    cmd.add_argument("--format", choices=("json", "text"), default="text")
    cmd.add_argument("--fail-on", choices=("breaking", "warning"), default="breaking",
                     help="the lowest level that makes the exit code 1 (default: breaking)")
    return parser


def main(argv: list[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return 0 if exc.code == 0 else 2
    from . import diff_files
    from .render import to_json, to_text

    try:
        changes = diff_files(args.base, args.revision)
    except SpecError as exc:
        print(f"error: {exc}", file=err)
        return 2
    render = to_json if args.format == "json" else to_text
    out.write(render(changes, base=args.base, revision=args.revision))
    threshold = Level(args.fail_on).rank
    return 1 if any(change.level.rank <= threshold for change in changes) else 0
