"""Start-up and warm round-trip of `backend-orchestrator serve` against a bare MCPServer.

In one run, over stdio with raw JSON-RPC (no SDK on the client side):
  - cold start: spawn → `initialize` result, median of --runs spawns of each server;
  - warm round trip: `get_task` on ours vs the bare server's one tool, median of --calls calls.
Prints JSON. Targets (issue #2): cold start ≤ 1.25× bare, get_task ≤ 1.5× the bare tool.

usage: python benchmarks/startup.py [--runs 10] [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = '''
from mcp.server import MCPServer
mcp = MCPServer("bare")
@mcp.tool()
async def echo(text: str) -> str:
    """Echo."""
    return text
mcp.run()
'''


def rpc(proc: subprocess.Popen[bytes], msg_id: int, method: str, params: dict) -> dict:
    proc.stdin.write((json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}) + "\n").encode())
    proc.stdin.flush()
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server closed stdout during {method}")
        reply = json.loads(line)
        if reply.get("id") == msg_id:
            return reply


def session(cmd: list[str], cwd: Path, tool: str | None = None, args: dict | None = None,
            calls: int = 0) -> tuple[float, list[float], dict | None]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        rpc(proc, 1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "bench", "version": "0"}})
        cold = time.perf_counter() - started
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        proc.stdin.flush()
        latencies, last = [], None
        for i in range(calls + (5 if calls else 0)):  # 5 warm-up calls are not counted
            t = time.perf_counter()
            last = rpc(proc, 100 + i, "tools/call", {"name": tool, "arguments": args or {}})
            if i >= 5:
                latencies.append(time.perf_counter() - t)
        return cold, latencies, last
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    opts = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="bo-bench-"))
    try:
        shutil.copytree(repo / "examples" / "shop", work / "shop", ignore=shutil.ignore_patterns("__pycache__"))
        project = work / "shop"
        env_py = [sys.executable]
        subprocess.run([*env_py, "-m", "backend_orchestrator", "--project", str(project), "task", "add",
                        "Add pagination to GET /api/v1/products"], check=True, capture_output=True)
        bare_file = work / "bare.py"
        bare_file.write_text(BARE, encoding="utf-8")
        ours = [*env_py, "-m", "backend_orchestrator", "serve", "--project", str(project)]
        bare = [*env_py, str(bare_file)]
        cold = {"ours": [], "bare": []}
        for _ in range(opts.runs):  # interleaved, so drift on the machine hits both alike
            cold["ours"].append(session(ours, project)[0])
            cold["bare"].append(session(bare, work)[0])
        _, ours_lat, ours_last = session(ours, project, "get_task", {"task_id": "task-001-api"}, opts.calls)
        _, bare_lat, _ = session(bare, work, "echo", {"text": "task-001-api"}, opts.calls)
        assert ours_last and not ours_last["result"].get("isError"), ours_last
        med = {k: statistics.median(v) for k, v in cold.items()}
        warm = {"ours": statistics.median(ours_lat), "bare": statistics.median(bare_lat)}
        result = {
            "python": sys.version.split()[0], "cpus": os.cpu_count(), "runs": opts.runs, "calls": opts.calls,
            "cold_start_ms": {"ours_median": round(med["ours"] * 1000, 1), "bare_median": round(med["bare"] * 1000, 1),
                              "ratio": round(med["ours"] / med["bare"], 3), "target_ratio": 1.25},
            "get_task_ms": {"ours_median": round(warm["ours"] * 1000, 3), "bare_median": round(warm["bare"] * 1000, 3),
                            "ratio": round(warm["ours"] / warm["bare"], 3), "target_ratio": 1.5},
        }
        result["meets_targets"] = (result["cold_start_ms"]["ratio"] <= 1.25 and result["get_task_ms"]["ratio"] <= 1.5)
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
