"""Agreement of `contract diff` with oasdiff on oasdiff's own test pairs.

For every case in ../shared/data/oasdiff-checker/cases.json (or $BO_OASDIFF_DATA): run the pure-Python
checker and compare with the change ids and levels oasdiff's tests expect. Prints JSON: breaking recall on
the checks we implement (target >= 0.9), id recall, false alarms (definitions in the output), per-check
numbers, the oasdiff ids we implement and the expected ERR ids we do not. The measurement itself lives in
backend_orchestrator/contractdiff/agreement.py (with the audit of mis-extracted cases).

usage: python benchmarks/contract_agreement.py [--data DIR] [--summary]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from backend_orchestrator.contractdiff.agreement import default_data_dir, measure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("BO_OASDIFF_DATA") or default_data_dir()))
    parser.add_argument("--summary", action="store_true", help="only the headline numbers")
    args = parser.parse_args(argv)
    if not (args.data / "cases.json").is_file():
        print(f"no cases.json under {args.data}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    report = measure(args.data)
    report["seconds"] = round(time.perf_counter() - started, 3)
    if args.summary:
        report = {k: report[k] for k in ("data", "breaking_recall", "id_recall", "seconds")} | {
            "false_alarms": {k: v for k, v in report["false_alarms"].items() if k != "details"}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
