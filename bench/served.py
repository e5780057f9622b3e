"""Real servers on loopback ports for the side-by-side benchmark: gunicorn, wrk, concurrent sign-ins."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, chdir: Path, env: dict[str, str], workers: int = 2, ready_path: str = "/healthz"):
    """A gunicorn with sync workers on a free loopback port; yields its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-k",
        "sync",
        "-b",
        f"127.0.0.1:{port}",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(base + ready_path, timeout=5):  # noqa: S310 - our own loopback server
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(url: str, seconds: float, cookie: str | None = None, threads: int = 2, connections: int = 32) -> float:
    """Requests per second; refuses a run with errors or non-2xx answers (a broken page is not fast)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


class Browser:
    """A cookie jar and an address (X-Forwarded-For, the server trusts one proxy)."""

    def __init__(self, base: str, address: str = "10.0.0.1"):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.address = address

    def get(self, path: str) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base + path, headers={"X-Forwarded-For": self.address}
        )
        with self.opener.open(request, timeout=60) as response:
            return response.status, response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base + path, data=body, headers={"X-Forwarded-For": self.address}
        )
        with self.opener.open(request, timeout=60) as response:  # redirects followed, as a browser does
            return response.status, response.geturl(), response.read().decode()

    def login_form(self) -> str:
        _status, html = self.get("/login")
        match = CSRF_RE.search(html)
        return (match.group(1) or match.group(2)) if match else ""

    def sign_in(self, login: str, password: str, token: str | None = None) -> str:
        """POST the form (redirects followed); returns the final URL."""
        token = token if token is not None else self.login_form()
        status, final, _html = self.post("/login", {"csrf_token": token, "login": login, "password": password})
        if status != 200 or final.endswith("/login"):
            raise RuntimeError(f"sign-in of {login} failed: {status} {final}")
        return final

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def concurrent_sign_ins(base: str, logins: list[str], password: str) -> list[float]:
    """Everyone has the sign-in page open; all press the button at once. Seconds until each landing page."""
    browsers = [Browser(base, f"10.1.{i // 250}.{i % 250 + 1}") for i in range(len(logins))]
    tokens = [b.login_form() for b in browsers]
    barrier = threading.Barrier(len(logins))
    times: list[float] = [0.0] * len(logins)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            browsers[i].sign_in(logins[i], password, tokens[i])
        except BaseException as exc:
            errors.append(exc)
        times[i] = time.perf_counter() - started

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(logins))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(logins)} sign-ins failed: {errors[0]}")
    return times
