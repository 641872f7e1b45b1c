"""A live `connector` server on a temporary SQLite database, and a mock provider API it calls.

The server is the binary cargo built (`target/debug/connector`, or $CONNECTOR_BIN). The mock
answers as Gmail, OneDrive, Dropbox, GitHub, Klaviyo and an API-key service would, and records what it got.
"""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import connector_platform

ROOT = Path(__file__).resolve().parents[3]
SECRET_KEY = "sk_sdk_e2e_python_0123456789abcdef"
API_KEY = "acme-key-123"

GITHUB_USER = {
    "login": "octocat",
    "id": 1,
    "node_id": "MDQ6VXNlcjE=",
    "avatar_url": "https://github.com/images/error/octocat_happy.gif",
    "url": "https://api.github.com/users/octocat",
    "html_url": "https://github.com/octocat",
    "type": "User",
    "site_admin": False,
}

# (method, path) -> JSON answer of the mock provider.
ROUTES = {
    ("GET", "/gmail/users/me/messages"): {
        "messages": [{"id": "m1", "threadId": "t1"}, {"id": "m2", "threadId": "t2"}],
        "resultSizeEstimate": 2,
    },
    ("GET", "/onedrive/me/drive/root/children"): {
        "value": [{"id": "item-1", "name": "report.pdf", "size": 1024}],
    },
    ("POST", "/dropbox/files/list_folder"): {
        "entries": [
            {
                ".tag": "file",
                "name": "notes.txt",
                "id": "id:1",
                "path_display": "/notes.txt",
                "client_modified": "2024-05-01T12:00:00Z",
                "server_modified": "2024-05-01T12:00:01Z",
                "rev": "a1c10ce0dd78",
                "size": 42,
            },
            {".tag": "folder", "name": "Photos", "id": "id:2"},
        ],
        "cursor": "cursor-1",
        "has_more": False,
    },
    # GitHub (REST API 2022-11-28): a repository and its issues, as the reference shows them.
    ("GET", "/github/repos/octocat/Hello-World"): {
        "id": 1296269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": "Hello-World",
        "full_name": "octocat/Hello-World",
        "owner": GITHUB_USER,
        "private": False,
        "html_url": "https://github.com/octocat/Hello-World",
        "description": "This your first repo!",
        "fork": False,
        "url": "https://api.github.com/repos/octocat/Hello-World",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2011-01-26T19:14:43Z",
        "pushed_at": "2011-01-26T19:06:43Z",
        "default_branch": "main",
        "stargazers_count": 80,
    },
    ("GET", "/github/repos/octocat/Hello-World/issues"): [
        {
            "id": 1,
            "node_id": "MDU6SXNzdWUx",
            "url": "https://api.github.com/repos/octocat/Hello-World/issues/1347",
            "repository_url": "https://api.github.com/repos/octocat/Hello-World",
            "html_url": "https://github.com/octocat/Hello-World/issues/1347",
            "number": 1347,
            "state": "open",
            "title": "Found a bug",
            "user": GITHUB_USER,
            "labels": [
                {"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=", "url": "https://api.github.com/repos/octocat/Hello-World/labels/bug",
                 "name": "bug", "color": "f29513", "default": True}
            ],
            "assignee": None,
            "milestone": None,
            "locked": False,
            "comments": 0,
            "closed_at": None,
            "created_at": "2011-04-22T13:33:48Z",
            "updated_at": "2011-04-22T13:33:48Z",
            "author_association": "COLLABORATOR",
        }
    ],
    ("GET", "/acme/ping"): {"pong": True},
    # Klaviyo, a provider of the built-in catalog (API key in `Authorization: Klaviyo-API-Key`).
    ("GET", "/klaviyo/api/accounts"): {"data": [{"type": "account", "id": "AbC123"}]},
    ("GET", "/klaviyo/api/profiles"): {"data": [{"type": "profile", "id": "01P", "attributes": {"email": "ada@example.com"}}]},
}
KLAVIYO_KEY = "pk_live_0123456789"


class MockProvider(BaseHTTPRequestHandler):
    received = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        MockProvider.received.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        answer = ROUTES.get((self.command, path))
        if path.startswith("/acme/") and self.headers.get("X-Api-Key") != API_KEY:
            status, answer = 401, {"error": "bad key"}
        elif path.startswith("/klaviyo/") and self.headers.get("Authorization") != f"Klaviyo-API-Key {KLAVIYO_KEY}":
            status, answer = 401, {"errors": [{"status": 401, "code": "not_authenticated"}]}
        elif answer is None:
            status, answer = 404, {"error": f"no route {self.command} {path}"}
        else:
            status = 200
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def mock_provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), MockProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_url(mock_provider):
    binary = Path(os.environ.get("CONNECTOR_BIN", ROOT / "target" / "debug" / "connector"))
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build it with `cargo build -p server`")
    with tempfile.TemporaryDirectory() as data:
        defs = Path(data) / "defs"
        defs.mkdir()
        # A run-time definition (api_key auth) whose API is the mock.
        (defs / "acme.yaml").write_text(
            "name: acme\nversion: 1.0.0\n"
            f"base_url: {mock_provider}/acme\n"
            "auth: { kind: api_key, in: header, name: X-Api-Key }\n"
            "endpoints:\n  ping: { method: GET, path: /ping }\n"
        )
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL",) and not key.endswith(("_CLIENT_ID", "_CLIENT_SECRET"))
        }
        env.update(
            CONNECTOR_BIND=f"127.0.0.1:{port}",
            CONNECTOR_DATA_DIR=str(Path(data) / "state"),
            CONNECTOR_SECRET_KEY=SECRET_KEY,
            CONNECTOR_DEFS_DIR=str(defs),
            RUST_LOG="warn",
        )
        log = open(Path(data) / "server.log", "w")
        process = subprocess.Popen([str(binary), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
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


@pytest.fixture()
def api(server_url):
    configuration = connector_platform.Configuration(host=server_url, access_token=SECRET_KEY)
    with connector_platform.ApiClient(configuration) as client:
        yield client
