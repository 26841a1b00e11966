"""Start and stop the worker under test as a child process; read process memory from /proc."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bench.worker_process import Tuning


@asynccontextmanager
async def worker_process(
    target: str,
    queue: str,
    kind: str,
    tuning: Tuning,
    data_dir: Path,
    record: Path | None = None,
    l1_acknowledgment_seconds: float | None = None,
    follow_up_seconds: float | None = None,
) -> AsyncIterator[int]:
    """Yields the worker's pid once it polls; SIGTERM on exit (it drains like worker.py)."""
    args = [
        *("-m", "bench.worker_process", "--target", target, "--queue", queue, "--kind", kind),
        *("--data-dir", str(data_dir)),
        *(["--record", str(record)] if record else []),
        *(
            ["--l1-acknowledgment-seconds", str(l1_acknowledgment_seconds)]
            if l1_acknowledgment_seconds
            else []
        ),
        *(["--follow-up-seconds", str(follow_up_seconds)] if follow_up_seconds else []),
        *tuning.args(),
    ]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    forwarding: asyncio.Task[None] | None = None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        if line.strip() != b"ready":
            raise RuntimeError(f"bench worker ({kind}) did not start; see its stderr")
        forwarding = asyncio.create_task(forward_output(process.stdout))
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
        if forwarding:
            await forwarding


async def forward_output(stream: asyncio.StreamReader) -> None:
    """Read a worker's stdout to its end, onto ours. The SDK core writes its log lines there from
    a runtime thread: left unread, the pipe filled, that thread blocked in write() and the
    worker's polls stopped for good (the "stall" earlier runs reported)."""
    while line := await stream.readline():
        sys.stderr.buffer.write(line)
        sys.stderr.flush()


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def child_pid(name: str) -> int | None:
    """The bench's own child process with this command name (the dev server), if any."""
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text()
        except OSError:
            continue
        comm = fields[fields.index("(") + 1 : fields.rindex(")")]
        ppid = int(fields[fields.rindex(")") + 2 :].split()[1])
        if ppid == me and comm == name:
            return int(stat.parent.name)
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used: unlike wall time, barely moved by other load."""
    fields = Path(f"/proc/{pid}/stat").read_text()
    utime, stime = fields[fields.rindex(")") + 2 :].split()[11:13]
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")
