"""`/mcp` with the official MCP Python SDK over Streamable HTTP: initialize, the tool list
(scoped and narrowed), typed calls, a provider's error and bad input as `isError`, and the
HTTP answers a client relies on (401, 404, 400, protocol versions)."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from conftest import GMAIL_TOKEN, PROFILE, REPOS, SECRET_KEY, api

HEADERS = {"Authorization": f"Bearer {SECRET_KEY}"}


def connection(server_url, mock_provider, connector):
    """A connection of `connector` whose API is the mock."""
    status, body = api(server_url, "PUT", f"/v1/integrations/{connector}", {
        "client_id": "id", "client_secret": "secret", "base_url": f"{mock_provider}/{connector}",
    })
    assert status == 200, body
    connection_id = f"{connector}-{uuid.uuid4().hex[:8]}"
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    status, body = api(server_url, "POST", "/v1/connections", {
        "connector": connector, "connection_id": connection_id,
        "credentials": {"access_token": GMAIL_TOKEN, "expires_at": expires},
    })
    assert status == 201, body
    return connection_id


def session_run(url, work):
    """Runs `work(session)` in an initialized MCP client session on `url`."""

    async def main():
        async with httpx2.AsyncClient(headers=HEADERS, timeout=30) as http:
            async with streamable_http_client(url, http_client=http) as (read, write, *_):
                async with ClientSession(read, write) as session:
                    initialized = await session.initialize()
                    return await work(session, initialized)

    # In a thread of its own: Playwright's sync API holds this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, main).result()


def test_tools_are_the_typed_actions_with_self_contained_schemas(server_url):
    async def work(session, initialized):
        assert initialized.server_info.name == "connector-platform"
        # The SDK's newest version with an initialize handshake, echoed.
        assert initialized.protocol_version == "2025-11-25"
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in session_run(f"{server_url}/mcp", work)}
    profile = tools["gmail_get_profile"]
    assert "connection_id" in profile.input_schema["required"]
    assert profile.output_schema["type"] == "object"
    assert set(profile.output_schema["required"]) == set(PROFILE)
    assert profile.description
    for tool in tools.values():
        text = json.dumps([tool.input_schema, tool.output_schema])
        assert "#/components/" not in text, tool.name
        assert tool.output_schema["type"] == "object", tool.name
    assert tools["github_list_repos"].output_schema["required"] == ["result"]
    assert not any(name.startswith("dropbox_download") for name in tools), "binary actions are not tools"


def test_a_call_answers_the_providers_typed_answer(server_url, mock_provider):
    gmail = connection(server_url, mock_provider, "gmail")
    github = connection(server_url, mock_provider, "github")

    async def work(session, _):
        await session.list_tools()
        profile = await session.call_tool("gmail_get_profile", {"connection_id": gmail})
        repos = await session.call_tool("github_list_repos", {"connection_id": github})
        return profile, repos

    profile, repos = session_run(f"{server_url}/mcp", work)
    assert not profile.is_error
    assert profile.structured_content == PROFILE
    assert json.loads(profile.content[0].text) == PROFILE
    assert not repos.is_error
    assert [repo["full_name"] for repo in repos.structured_content["result"]] == ["ada/engine"]
    # A null member of the provider's answer is left out: the output schema does not admit it.
    assert "description" not in repos.structured_content["result"][0]


def test_a_connection_scoped_list_takes_connection_id_from_the_url(server_url, mock_provider):
    gmail = connection(server_url, mock_provider, "gmail")

    async def work(session, _):
        tools = (await session.list_tools()).tools
        result = await session.call_tool("gmail_get_profile", {})
        return tools, result

    tools, result = session_run(f"{server_url}/mcp?connection_id={gmail}", work)
    assert tools and all(tool.name.startswith("gmail_") for tool in tools)
    assert all("connection_id" not in tool.input_schema.get("properties", {}) for tool in tools)
    assert not result.is_error
    assert result.structured_content == PROFILE


def test_tools_narrows_the_list(server_url, mock_provider):
    gmail = connection(server_url, mock_provider, "gmail")

    async def work(session, _):
        return (await session.list_tools()).tools

    narrowed = session_run(f"{server_url}/mcp?connection_id={gmail}&tools=gmail_get_profile,gmail_list_labels", work)
    assert sorted(tool.name for tool in narrowed) == ["gmail_get_profile", "gmail_list_labels"]


def test_provider_errors_and_bad_input_are_tool_errors(server_url, mock_provider):
    gmail = connection(server_url, mock_provider, "gmail")

    async def work(session, _):
        await session.list_tools()
        missing = await session.call_tool("gmail_get_message", {"connection_id": gmail, "id": "missing"})
        bad = await session.call_tool("gmail_get_message", {"connection_id": gmail})
        unscoped = await session.call_tool("gmail_get_profile", {})
        after = await session.call_tool("gmail_get_profile", {"connection_id": gmail})
        return missing, bad, unscoped, after

    missing, bad, unscoped, after = session_run(f"{server_url}/mcp", work)
    assert missing.is_error
    assert "404 Not Found" in missing.content[0].text
    assert bad.is_error
    assert "field `id` is required" in bad.content[0].text
    assert unscoped.is_error
    assert "field `connection_id` is required" in unscoped.content[0].text
    assert not after.is_error, "the server stays up and serves"


def post(server_url, path, body, headers=None, version="2025-06-18"):
    request_headers = {
        **HEADERS,
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": version,
        **(headers or {}),
    }
    return httpx2.post(f"{server_url}{path}", json=body, headers=request_headers, timeout=30)


def initialize(version):
    return {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
    }


def test_both_protocol_versions_are_answered_and_echoed(server_url):
    for version in ("2025-06-18", "2025-11-25"):
        answer = post(server_url, "/mcp", initialize(version), version=version)
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"]["protocolVersion"] == version


def test_http_errors_carry_the_usual_body(server_url):
    unauthorized = post(server_url, "/mcp", initialize("2025-06-18"), headers={"Authorization": "Bearer nope"})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["WWW-Authenticate"].startswith("Bearer")
    assert unauthorized.json()["error"]["code"] == "unauthorized"
    unknown = post(server_url, "/mcp?connection_id=nobody", initialize("2025-06-18"))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "connection_not_found"
    narrowed = post(server_url, "/mcp?tools=gmail_get_profile,nope_nothing", initialize("2025-06-18"))
    assert narrowed.status_code == 400
    assert "nope_nothing" in narrowed.json()["error"]["message"]
    foreign = post(server_url, "/mcp", initialize("2025-06-18"), headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
