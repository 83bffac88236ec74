"""Starts the real local stack (`python -m devstack`) on free ports for a test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningStack:
    process: subprocess.Popen
    app_url: str
    moto_url: str
    idp_url: str
    output: list[str]

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Runs the support CLI against this stack's moto server."""
        env = {**os.environ, "AWS_ENDPOINT_URL": self.moto_url}
        return subprocess.run(
            [sys.executable, "-m", "supportcli", "--stage", "local", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_stack(
    password: str, timeout: float = 90.0, extra: list[str] | None = None
) -> RunningStack:
    app_port, moto_port, idp_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack",
            "--port",
            str(app_port),
            "--moto-port",
            str(moto_port),
            "--idp-port",
            str(idp_port),
            "--demo-password",
            password,
            *(extra or []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Press Ctrl-C" in line:
            stack = RunningStack(
                process,
                f"http://127.0.0.1:{app_port}",
                f"http://127.0.0.1:{moto_port}",
                f"http://127.0.0.1:{idp_port}",
                output,
            )
            _drain(process)
            return stack
    process.kill()
    raise AssertionError("the local stack did not start:\n" + "".join(output))


def _drain(process: subprocess.Popen) -> None:
    """Keep reading the stack's output so it never blocks on a full pipe."""
    import threading

    def pump() -> None:
        assert process.stdout is not None
        for _ in process.stdout:
            pass

    threading.Thread(target=pump, daemon=True).start()
