"""Debian's nginx running the shipped ``deploy/nginx.conf`` in front of test processes.

The site file is used as shipped; only its machine-specific lines (ports,
upstream servers, certificate and cache paths) are replaced, and each
replacement must find its line, so a change to the shipped file that this
harness no longer understands fails loudly instead of testing something else.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import ROOT, free_port

SITE = ROOT / "deploy" / "nginx.conf"


def require_debian_package(program: str, package: str | None = None) -> str:
    """The program's path: installed from Debian's packages in CI when missing, else skip."""

    def find() -> str | None:
        return shutil.which(program) or next(
            (p for p in (f"/usr/sbin/{program}", f"/usr/bin/{program}") if os.path.exists(p)),
            None,
        )

    found = find()
    if found is None and os.environ.get("CI"):
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", package or program],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            check=False,
        )
        found = find()
        if found is None:
            pytest.fail(f"{program} is missing and apt-get could not install it")
    if found is None:
        pytest.skip(f"{program} not found (apt-get install {package or program})")
    return found


def require_nginx() -> str:
    return require_debian_package("nginx")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx.conf no longer has {old!r}"
    return text.replace(old, new)


class Nginx:
    """nginx in the foreground, with the shipped site pointing at ``upstreams``."""

    def __init__(self, workdir: Path, upstreams: list[str], extra: str = "") -> None:
        """``extra``: more of nginx's ``http`` block (the benchmark adds a static server)."""
        self.binary = require_nginx()
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.http_port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert, self.key = self_signed_certificate(self.dir)
        self.process: subprocess.Popen[bytes] | None = None
        site = SITE.read_text(encoding="utf-8")
        servers = "".join(f"server {address};\n    " for address in upstreams)
        site = _replace(site, "server 127.0.0.1:8000;\n    ", servers)
        site = _replace(site, "/var/cache/nginx/vague-verte", str(self.dir / "cache"))
        site = _replace(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl http2;")
        site = _replace(site, "listen [::]:443 ssl http2;\n", "")
        site = _replace(site, "listen 80;", f"listen 127.0.0.1:{self.http_port};")
        site = _replace(site, "listen [::]:80;\n", "")
        site = _replace(site, "/etc/letsencrypt/live/mur.example.org/fullchain.pem", str(self.cert))
        site = _replace(site, "/etc/letsencrypt/live/mur.example.org/privkey.pem", str(self.key))
        (self.dir / "site.conf").write_text(site, encoding="utf-8")
        temp = self.dir / "temp"
        # Root in CI: nginx's workers would become "nobody" and lose the test's files.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            f"""{user}daemon off;
worker_processes 2;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log info;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {self.dir}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.dir}/site.conf;
    {extra}
}}
""",
            encoding="utf-8",
        )

    def start(self, within: float = 20) -> Nginx:
        (self.dir / "temp").mkdir(exist_ok=True)
        command = [self.binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        with (self.dir / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(command, stderr=stderr)
        deadline = time.monotonic() + within
        while True:
            assert self.process.poll() is None, self.error_log()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start:\n" + self.error_log()
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def error_log(self) -> str:
        logs = [self.dir / "stderr.log", self.dir / "error.log"]
        return "".join(path.read_text(encoding="utf-8") for path in logs if path.exists())

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
