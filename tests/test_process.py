"""Target processes: their own group, a timeout, and no orphans when the server dies mid-run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend_orchestrator import process

PARENT = """
import sys, threading, time
from pathlib import Path
from backend_orchestrator import process
root = Path(sys.argv[1])
threading.Thread(target=process.run, args=([sys.executable, "-c", "import time; time.sleep(120)"],),
                 kwargs={"cwd": root, "timeout": 300, "log": root / "child.log"}, daemon=True).start()
time.sleep(120)
"""


def _children_of_group_alive(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline and "time.sleep(120)" in cmdline and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_child_dies_with_the_server_that_started_it(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)]) as parent:
        deadline = time.monotonic() + 30
        # wait for the child process itself (its log file exists before it has exec'd its command line)
        while not (children := [pid for pid in _children_of_group_alive("-c") if pid != parent.pid]):
            assert time.monotonic() < deadline, "the child did not start"
            time.sleep(0.05)
        parent.kill()  # SIGKILL: no cleanup code runs in the server
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in children):
            assert time.monotonic() < deadline, f"orphans left: {children}"
            time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return "Z"


def test_a_timeout_kills_the_whole_group_and_says_so(tmp_path: Path) -> None:
    started = time.monotonic()
    done = process.run([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path, timeout=0.5,
                       log=tmp_path / "log.txt")
    assert done.timed_out and done.returncode is None
    assert time.monotonic() - started < 10
