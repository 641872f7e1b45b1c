"""The generated Python SDK against a live server: registry, integrations, connections,
typed actions of four connectors (a union and GitHub among them), the request envelope, and typed errors."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

import connector_platform
from connector_platform import (
    ConnectionsApi,
    ConnectorsApi,
    CreateConnection,
    DropboxApi,
    DropboxListFolderInput,
    DropboxMetadataDropboxFileMetadata,
    DropboxMetadataDropboxFolderMetadata,
    EnvelopeRequest,
    GmailApi,
    GithubApi,
    GithubGetRepoInput,
    GithubListIssuesInput,
    GmailListMessagesInput,
    HttpMethod,
    IntegrationInput,
    IntegrationsApi,
    OnedriveApi,
    OnedriveListRootChildrenInput,
)
from connector_platform.exceptions import BadRequestException, NotFoundException, ServiceException, UnauthorizedException

from conftest import API_KEY, KLAVIYO_KEY, MockProvider


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def point_at_mock(api, mock_provider, connector):
    IntegrationsApi(api).put_integration(
        connector,
        IntegrationInput(client_id=f"{connector}-client", client_secret="secret", base_url=f"{mock_provider}/{connector}"),
    )


def import_tokens(api, connector, end_user_id):
    return ConnectionsApi(api).create_connection(
        CreateConnection(
            connector=connector,
            connection_id=unique(connector),
            end_user_id=end_user_id,
            credentials={
                "access_token": f"{connector}-access",
                "refresh_token": f"{connector}-refresh",
                "expires_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
            },
        )
    )


def test_the_registry_lists_compiled_and_run_time_connectors(api):
    registry = ConnectorsApi(api)
    found = registry.list_connectors(q="GMAIL", auth_kind=connector_platform.AuthKind.OAUTH2)
    gmail = next(c for c in found.data if c.name == "gmail")
    assert gmail.typed is True
    assert gmail.source == "builtin"
    acme = next(c for c in registry.list_connectors(q="acme").data if c.name == "acme")
    assert acme.typed is False
    assert acme.auth_kind == connector_platform.AuthKind.API_KEY
    # Pages in name order, following the cursor.
    first = registry.list_connectors(limit=2)
    assert len(first.data) == 2 and first.next_cursor
    second = registry.list_connectors(limit=2, cursor=first.next_cursor)
    assert second.data[0].name > first.data[1].name
    gmail = ConnectorsApi(api).get_connector("gmail")
    assert any(endpoint.name == "list_messages" and endpoint.paginated for endpoint in gmail.endpoints)


def test_typed_actions_across_three_connectors(api, mock_provider):
    for connector in ("gmail", "onedrive", "dropbox"):
        point_at_mock(api, mock_provider, connector)
    gmail = import_tokens(api, "gmail", "user-py")
    onedrive = import_tokens(api, "onedrive", "user-py")
    dropbox = import_tokens(api, "dropbox", "user-py")

    messages = GmailApi(api).gmail_list_messages(GmailListMessagesInput(connection_id=gmail.id, max_results=5))
    assert [message.id for message in messages.messages] == ["m1", "m2"]
    assert messages.result_size_estimate == 2
    sent = [r for r in MockProvider.received if r[1].startswith("/gmail/users/me/messages")][-1]
    assert "maxResults=5" in sent[1]
    assert sent[2]["authorization"] == "Bearer gmail-access"

    children = OnedriveApi(api).onedrive_list_root_children(OnedriveListRootChildrenInput(connection_id=onedrive.id))
    assert children.value[0].name == "report.pdf"
    assert children.value[0].size == 1024

    folder = DropboxApi(api).dropbox_list_folder(DropboxListFolderInput(connection_id=dropbox.id, path=""))
    # Entries are a union told apart by `.tag`: each is its alternative's model (poem-openapi
    # names it union + alternative: the alternative's fields and the tag).
    file, photos = (entry.actual_instance for entry in folder.entries)
    assert isinstance(file, DropboxMetadataDropboxFileMetadata)
    assert (file.tag, file.name, file.size) == ("file", "notes.txt", 42)
    assert isinstance(photos, DropboxMetadataDropboxFolderMetadata)
    assert (photos.tag, photos.name) == ("folder", "Photos")
    assert folder.has_more is False


def test_github_repositories_and_issues(api, mock_provider):
    point_at_mock(api, mock_provider, "github")
    github = import_tokens(api, "github", "user-py")
    actions = GithubApi(api)

    repo = actions.github_get_repo(GithubGetRepoInput(connection_id=github.id, owner="octocat", repo="Hello-World"))
    assert repo.full_name == "octocat/Hello-World"
    assert repo.owner.login == "octocat"
    assert repo.default_branch == "main" and repo.private is False
    sent = [r for r in MockProvider.received if r[1].startswith("/github/")][-1]
    assert sent[2]["authorization"] == "Bearer github-access"
    assert sent[2]["x-github-api-version"] == "2022-11-28"

    issues = actions.github_list_issues(
        GithubListIssuesInput(connection_id=github.id, owner="octocat", repo="Hello-World", state="open", per_page=2)
    )
    assert [(issue.number, issue.title) for issue in issues] == [(1347, "Found a bug")]
    assert issues[0].labels[0].name == "bug" and issues[0].assignee is None
    sent = [r for r in MockProvider.received if r[1].startswith("/github/")][-1]
    assert sent[1] == "/github/repos/octocat/Hello-World/issues?state=open&per_page=2"

    # GitHub's 404 comes back as a typed 502 carrying the provider's status.
    with pytest.raises(ServiceException) as error:
        actions.github_get_repo(GithubGetRepoInput(connection_id=github.id, owner="octocat", repo="missing"))
    assert error.value.status == 502
    assert error.value.data.error.code == "upstream_error"
    assert error.value.data.error.details["status"] == 404


def test_an_api_key_connection_through_the_request_envelope(api):
    connections = ConnectionsApi(api)
    created = connections.create_connection(
        CreateConnection(connector="acme", connection_id=unique("acme"), credentials={"api_key": API_KEY})
    )
    assert created.status == connector_platform.ConnectionStatus.ACTIVE
    answer = connections.connection_request(created.id, EnvelopeRequest(method=HttpMethod.GET, path="/ping"))
    assert answer.status == 200
    assert answer.body == {"pong": True}


def test_an_api_key_provider_of_the_catalog_end_to_end(api, mock_provider):
    """docs/quickstart.md's second walk-through: Klaviyo, from the built-in catalog."""
    found = ConnectorsApi(api).list_connectors(q="klaviyo", auth_kind=connector_platform.AuthKind.API_KEY)
    klaviyo = next(connector for connector in found.data if connector.name == "klaviyo")
    assert klaviyo.credential_fields == ["api_key"]
    assert klaviyo.typed is False
    # Only to reach the mock instead of a.klaviyo.com; an API-key provider needs no integration.
    IntegrationsApi(api).put_integration("klaviyo", IntegrationInput(base_url=f"{mock_provider}/klaviyo"))
    connections = ConnectionsApi(api)

    with pytest.raises(BadRequestException) as refused:
        connections.create_connection(
            CreateConnection(connector="klaviyo", connection_id=unique("klaviyo"), credentials={"api_key": "pk_wrong"})
        )
    assert refused.value.data.error.code == "invalid_credentials"

    created = connections.create_connection(
        CreateConnection(connector="klaviyo", connection_id=unique("klaviyo"), credentials={"api_key": KLAVIYO_KEY})
    )
    assert created.status == connector_platform.ConnectionStatus.ACTIVE
    answer = connections.connection_request(
        created.id, EnvelopeRequest(method=HttpMethod.GET, path="/api/profiles", query={"page[size]": "5"})
    )
    assert answer.status == 200
    assert answer.body["data"][0]["attributes"]["email"] == "ada@example.com"
    sent = [r for r in MockProvider.received if r[1].startswith("/klaviyo/api/profiles")][-1]
    assert sent[2]["authorization"] == f"Klaviyo-API-Key {KLAVIYO_KEY}"
    assert sent[2]["revision"] == "2024-07-15"
    assert "page%5Bsize%5D=5" in sent[1] or "page[size]=5" in sent[1]


def test_connections_are_got_listed_and_deleted(api):
    connections = ConnectionsApi(api)
    end_user = unique("user")
    first = import_tokens(api, "gmail", end_user)
    second = import_tokens(api, "gmail", end_user)

    got = connections.get_connection(first.id)
    assert got.connector == "gmail"
    assert got.end_user_id == end_user
    assert got.expires_at is not None

    listed = connections.list_connections(end_user_id=end_user, limit=1)
    assert len(listed.data) == 1 and listed.next_cursor
    rest = connections.list_connections(end_user_id=end_user, limit=1, cursor=listed.next_cursor)
    assert {listed.data[0].id, rest.data[0].id} == {first.id, second.id}

    token = connections.get_connection_token(first.id)
    assert token.access_token == "gmail-access"

    connections.delete_connection(first.id)
    with pytest.raises(NotFoundException) as raised:
        connections.get_connection(first.id)
    assert raised.value.status == 404
    assert raised.value.data.error.code == "connection_not_found"


def test_a_wrong_secret_key_is_a_typed_401(server_url):
    configuration = connector_platform.Configuration(host=server_url, access_token="sk_wrong")
    with connector_platform.ApiClient(configuration) as client:
        with pytest.raises(UnauthorizedException) as raised:
            ConnectorsApi(client).list_connectors()
    assert raised.value.status == 401
    assert raised.value.data.error.code == "unauthorized"
