"""`make run`: the whole service on this machine, against an embedded moto server.

Starts moto (DynamoDB, SQS, SES, Secrets Manager over HTTP) on 127.0.0.1, provisions the
local stage, seeds demo data, starts `chalice local`, prints what to open and stops
everything it started on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devstack.seed import DEMO_GROUP
from devstack.stages import LOCAL_AWS, PROJECT_ROOT, apply_stage

MOTO_PORT = 5000
APP_PORT = 8000
IDP_PORT = 8001
HOST = "127.0.0.1"
IDP_KEY_DIR = PROJECT_ROOT / ".local" / "demo-idp"


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def start_moto(port: int):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    return server


def local_environment(moto_port: int, app_port: int) -> dict[str, str]:
    """What the service's processes need: the moto endpoint and the URLs they answer on.

    The local stage leaves PUBLIC_BASE_URL out of .chalice/config.json so that the port
    chosen here wins (`chalice local` applies the stage's variables over ours).
    """
    env = {
        **LOCAL_AWS,
        **apply_stage("local"),
        "AWS_ENDPOINT_URL": f"http://{HOST}:{moto_port}",
        "PUBLIC_BASE_URL": f"http://{HOST}:{app_port}",
        "DASHBOARD_ORIGIN": f"http://{HOST}:{app_port}",
    }
    os.environ.update(env)
    return env


def start_chalice(env: dict[str, str], port: int) -> subprocess.Popen:
    chalice = Path(sys.executable).parent / "chalice"
    command = [
        str(chalice),
        "local",
        "--stage",
        "local",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-autoreload",
    ]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env})


def demo_idp_metadata(idp_url: str) -> str:
    """The demo IdP's metadata, from a key kept in .local/ so restarts keep trusting it."""
    from demo_idp.idp import DemoIdP
    from demo_idp.keys import load_or_create_keypair

    return DemoIdP.metadata_for(idp_url, load_or_create_keypair(IDP_KEY_DIR))


def start_demo_idp(env: dict[str, str], port: int, app_url: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "demo_idp",
        "--host",
        HOST,
        "--port",
        str(port),
        "--key-dir",
        str(IDP_KEY_DIR),
        "--sp-metadata-url",
        f"{app_url}/saml/{DEMO_GROUP}/metadata",
    ]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env})


def banner(app_url: str, idp_url: str, passwords: dict[str, str]) -> str:
    lines = [
        "",
        "practice-sso is running locally.",
        f"  Sign-in page:  {app_url}/login",
        f"  Demo practice group: Demo Clinic ({DEMO_GROUP})",
        "  Log in with SSO: enter dr.ada (or any @demo-clinic.example email); the demo",
        f"  identity provider at {idp_url} lets you pick who to be.",
        f"  SSO requests and linking: python -m supportcli sso requests {DEMO_GROUP}",
    ]
    if passwords:
        lines.append("  Demo accounts (username / password):")
        lines += [f"    {name:<18} {pw}" for name, pw in passwords.items()]
    else:
        lines.append("  Demo accounts already existed; their passwords are unchanged.")
    lines += ["Press Ctrl-C to stop everything.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--moto-port", type=int, default=MOTO_PORT)
    parser.add_argument("--port", type=int, default=APP_PORT)
    parser.add_argument("--idp-port", type=int, default=IDP_PORT)
    parser.add_argument(
        "--demo-password",
        default=os.environ.get("DEMO_PASSWORD"),
        help="password for every demo user (default: a new random one each, printed)",
    )
    args = parser.parse_args(argv)

    for port in (args.moto_port, args.port, args.idp_port):
        if port_in_use(port):
            print(
                f"Port {port} on {HOST} is already in use: stop what runs there "
                "(perhaps an earlier `make run`) and try again.",
                file=sys.stderr,
            )
            return 1

    from devstack import provision, seed

    moto = start_moto(args.moto_port)
    children: list[subprocess.Popen] = []
    try:
        env = local_environment(args.moto_port, args.port)
        provision.provision()
        seeded = seed.seed(args.demo_password)
        app_url = f"http://{HOST}:{args.port}"
        idp_url = f"http://{HOST}:{args.idp_port}"
        seed.connect_demo_idp(demo_idp_metadata(idp_url))
        children.append(start_chalice(env, args.port))
        children.append(start_demo_idp(env, args.idp_port, app_url))
        wait_for(f"{app_url}/login")
        wait_for(f"{idp_url}/idp/metadata")
        print(banner(app_url, idp_url, seeded.passwords), flush=True)
        stop: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: stop.append(signum))
        while not stop and all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        moto.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
