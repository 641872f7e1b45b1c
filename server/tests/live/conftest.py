"""The real `connector` binary on a loopback port, a mock provider for API-key checks, and
Debian's Chromium driven by Playwright."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[3]
SECRET_KEY = "sk_browser_0123456789abcdef0123456789"
GOOD_KEY = "acme-key-good"


GMAIL_TOKEN = "gmail-access-token"
PROFILE = {"emailAddress": "ada@example.com", "messagesTotal": 3, "threadsTotal": 2, "historyId": "77"}
OWNER = {
    "login": "ada", "id": 7, "node_id": "U_7", "avatar_url": "https://example.com/a.png",
    "url": "https://api.github.com/users/ada", "html_url": "https://github.com/ada", "type": "User", "site_admin": False,
}
REPOS = [{
    "id": 1, "node_id": "R_1", "name": "engine", "full_name": "ada/engine", "owner": OWNER, "private": False,
    "html_url": "https://github.com/ada/engine", "fork": False, "url": "https://api.github.com/repos/ada/engine",
    "default_branch": "main", "description": None,
}]


class MockProvider(BaseHTTPRequestHandler):
    """`acme`'s API (GET /acme/me: 200 to the good key, 401 to any other), and a few Gmail and
    GitHub answers for the MCP tools."""

    def do_GET(self):
        path = self.path.split("?")[0]
        bearer = self.headers.get("Authorization") == f"Bearer {GMAIL_TOKEN}"
        if path.startswith("/acme/"):
            ok = path == "/acme/me" and self.headers.get("X-Api-Key") == GOOD_KEY
            self.answer(200 if ok else 401, {"ok": ok})
        elif path == "/gmail/users/me/profile" and bearer:
            self.answer(200, PROFILE)
        elif path.startswith("/gmail/users/me/messages/") and bearer:
            self.answer(404, {"error": {"code": 404, "message": "Requested entity was not found."}})
        elif path == "/github/user/repos" and bearer:
            self.answer(200, REPOS)
        else:
            self.answer(401, {"error": "unauthorized"})

    def answer(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mock_provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), MockProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def server_url(mock_provider):
    binary = Path(os.environ.get("CONNECTOR_BIN", ROOT / "target" / "debug" / "connector"))
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build it with `cargo build -p server`")
    with tempfile.TemporaryDirectory() as data:
        defs = Path(data) / "defs"
        defs.mkdir()
        # An api_key connector whose `verify` request is the mock's.
        (defs / "acme.yaml").write_text(
            "name: acme\nversion: 1.0.0\ndisplay_name: Acme CRM\n"
            f"base_url: {mock_provider}/acme\n"
            "auth: { kind: api_key, in: header, name: X-Api-Key }\n"
            "verify: { method: GET, path: /me }\n"
            "endpoints:\n  me: { method: GET, path: /me }\n"
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env.update(
            CONNECTOR_BIND=f"127.0.0.1:{port}",
            CONNECTOR_PUBLIC_URL=url,
            CONNECTOR_DATA_DIR=str(Path(data) / "state"),
            CONNECTOR_SECRET_KEY=SECRET_KEY,
            CONNECTOR_DEFS_DIR=str(defs),
            RUST_LOG="warn",
        )
        log = open(Path(data) / "server.log", "w")
        process = subprocess.Popen([str(binary), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{url}/healthz", timeout=1)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.flush()
                        pytest.fail("the server did not start:\n" + (Path(data) / "server.log").read_text())
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)
            log.close()


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Debian's `chromium` is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    """A fresh browser context (no cookies) whose console errors and page errors are kept in
    `page.errors`."""
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def api(server_url, method, path, body=None):
    """A call to the REST API with the secret key: (status, JSON body)."""
    request = urllib.request.Request(
        f"{server_url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {SECRET_KEY}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
