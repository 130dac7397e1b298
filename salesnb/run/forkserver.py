"""Warm, isolated kernels: one process imports the stack once and forks a fresh kernel process per report.

A fork copies the imported modules, not a report's state: every report still runs in a process of its own that
no other report has touched, but it starts in a few hundredths of a second instead of paying the imports (about
4 s of pandas, Ibis, DuckDB, matplotlib, Prophet and the package). A pool of pre-started kernels would only hide
that cost behind other work; a fork removes it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_CHILD_SUBREAPER = 36
SERVER_DIR = "salesnb-fork-"  # the server's socket folder, named with the batch's pid
FAILED = ".failed"  # beside the socket when the server could not import the stack
PRELOAD = (
    "numpy", "pandas", "pyarrow", "matplotlib.pyplot", "seaborn", "duckdb", "ibis", "ibis.backends.duckdb",
    "prophet", "statsmodels.api", "statsmodels.tsa.holtwinters", "ortools.constraint_solver.pywrapcp", "openpyxl",
    "ipywidgets", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "matplotlib_inline.backend_inline", "sqlite3", "pdb", "psutil", "holidays", "babel.numbers", "phonenumbers",
    "email_validator", "icalendar", "rapidfuzz.process", "nbformat", "ibis.formats.pandas", "ibis.formats.pyarrow",
    "pyarrow.compute", "PIL.PngImagePlugin", "ortools.constraint_solver.routing_enums_pb2",
)  # with every module of the package; what a report imports late is listed here
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
FIXED_ENV = dict.fromkeys(THREADS, "1") | {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",  # pyarrow's allocator starts no thread a fork would lose
}


def _preload() -> None:
    """Import what reports use and pay its first-use costs, with the thread counts every kernel keeps."""
    os.environ.update(FIXED_ENV)
    import importlib
    import pkgutil

    import salesnb

    with contextlib.redirect_stderr(io.StringIO()):  # Prophet logs that plotly is missing: kernels never say it
        for name in PRELOAD:
            importlib.import_module(name)
        for module in pkgutil.walk_packages(salesnb.__path__, "salesnb."):
            if module.name != "salesnb.run.forkserver":
                importlib.import_module(module.name)
        _warm()


def _warm() -> None:
    """Pay once the costs of a first use: fonts loaded and a chart drawn, currency data read, the table template
    compiled, an Ibis query compiled (no database is opened: a connection's threads would not survive a fork)."""
    import ibis
    import matplotlib.pyplot as plt
    import pandas as pd
    from babel.numbers import format_currency

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="x")
    ax.set_title("x")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    format_currency(1.5, "XXX", locale="en")  # XXX: ISO 4217 for no currency; loads the locale data
    pd.DataFrame({"a": [1.5], "b": ["x"]}).style.format(precision=1).to_html()
    table = ibis.table({"a": "float64", "b": "string", "d": "date"}, name="t")
    ibis.to_sql(table.filter(table.d > "2026-01-01").group_by("b").agg(n=table.a.sum()), dialect="duckdb")


def _orphan_watch(server: int, owner: int) -> None:
    """In a kernel: when the server or the process that asked for the kernel is gone, stop the kernel's session."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            break
        if os.getppid() != server:
            break
    os.killpg(0, signal.SIGKILL)


def _kernel(request: dict, server: int) -> None:
    """In the forked child: become a kernel of its own session, with the batch's environment and folder."""
    import threading

    os.setsid()
    if sys.platform.startswith("linux"):  # orphans of the report's processes come to the kernel, which stops them
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)
    threading.Thread(target=_orphan_watch, args=(server, request["owner"]), daemon=True).start()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"] | FIXED_ENV)
    if request.get("cwd"):
        os.chdir(request["cwd"])
    args = [*request["args"], f"--IPKernelApp.parent_handle={server}"]  # quiet, and ends with the server
    sys.argv = ["ipykernel_launcher", *args]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=args)


def serve(address: str) -> None:
    """Import the stack, then fork a kernel for each request (one JSON line: args, cwd, env) and answer its pid."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        _preload()
    except BaseException:
        Path(address + FAILED).touch()  # kernels then start plainly, at once
        raise
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they end
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + ".tmp")
    os.replace(address + ".tmp", address)  # the address appears once the server can fork
    listener.listen(64)
    server = os.getpid()
    while True:
        conn, _ = listener.accept()
        with conn:
            request = json.loads(conn.makefile("r", encoding="utf-8").readline())
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    listener.close()
                    conn.close()
                    _kernel(request, server)
                except BaseException:  # noqa: BLE001 - a child never returns into the server's loop
                    code = 1
                finally:
                    os._exit(code)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")


class ForkServer:
    """The batch's fork server: started once per process that runs batches, stopped when that process ends."""

    _address: str | None = None
    _process: subprocess.Popen | None = None
    _registered = False

    @classmethod
    def start(cls) -> str:
        """Start the server unless it runs; the socket it will listen on once it has imported the stack."""
        if cls._process is None or cls._process.poll() is not None:
            cls.stop()
            folder = tempfile.mkdtemp(prefix=f"{SERVER_DIR}{os.getpid()}-")
            cls._address = os.path.join(folder, "socket")
            cls._process = subprocess.Popen([sys.executable, "-m", "salesnb.run.forkserver", cls._address],
                                            stdin=subprocess.DEVNULL)
            if not cls._registered:
                atexit.register(cls.stop)
                cls._registered = True
        return cls._address

    @classmethod
    def address(cls, timeout: float = 120) -> str | None:
        """The server's socket once it can fork, starting it if needed; None when it cannot start (kernels then
        start plainly)."""
        address = cls.start()
        if not asyncio.run(ready(address, timeout)):
            cls.stop()
            return None
        return address

    @classmethod
    def stop(cls) -> None:
        """Stop the server (kernels it forked live on until their batch stops them)."""
        if cls._process is not None:
            with contextlib.suppress(ProcessLookupError):
                cls._process.kill()
            cls._process.wait()
            cls._process = None
        if cls._address:
            shutil.rmtree(os.path.dirname(cls._address), ignore_errors=True)
            cls._address = None


async def ready(address: str, timeout: float = 120) -> bool:
    """Whether the server at `address` listens, waiting while it imports; False when it failed or took too long."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(address):
        if os.path.exists(address + FAILED) or time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def fork_kernel(address: str, args: list[str], cwd: str | None, env: dict[str, str]) -> int:
    """Ask the server at `address` for a kernel; its pid."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(address)
        s.sendall(json.dumps({"args": args, "cwd": cwd, "env": env, "owner": os.getpid()}).encode() + b"\n")
        return int(json.loads(s.makefile("r", encoding="utf-8").readline())["pid"])


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


class Forked:
    """A forked kernel seen as a process: the server reaps it, so it is alive while its pid exists."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not alive(self.pid):
            self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        while self.poll() is None:
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ReadyClient(AsyncKernelClient):
    """A kernel client ready as soon as the kernel answers on shell and speaks on IOPub. jupyter_client waits
    0.2 s for an IOPub message (lost when the kernel speaks before the subscription is made) and then 0.2 s of
    IOPub silence, and reconnects every 0.1 s: a forked kernel is up within a few hundredths of a second, so each
    report would mostly wait. The messages left unread belong to no cell; papermill reads only a cell's own."""

    def _context_default(self) -> zmq.asyncio.Context:
        context = super()._context_default()
        context.setsockopt(zmq.RECONNECT_IVL, 10)
        return context

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            with contextlib.suppress(Empty):
                reply = await self.shell_channel.get_msg(timeout=1)
                if reply["msg_type"] == "kernel_info_reply":
                    await self.iopub_channel.get_msg(timeout=0.03)
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class ForkProvisioner(LocalProvisioner):
    """Launches an ipykernel by asking the fork server, and manages it like a local process."""

    address = Unicode("")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        if "ipykernel_launcher" not in cmd or not await ready(self.address):
            return await super().launch_kernel(cmd, **kwargs)
        args = cmd[cmd.index("ipykernel_launcher") + 1:]
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        pid = fork_kernel(self.address, args, kwargs.get("cwd"), env)
        self.process = Forked(pid)
        self.pid = self.pgid = pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info


if __name__ == "__main__":
    serve(sys.argv[1])
