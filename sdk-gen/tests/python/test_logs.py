"""The call log with the generated Python SDK: a typed action's call is listed, filtered by
connection, and paged with the cursor."""

import time

from connector_platform import CallKind, GmailApi, GmailListMessagesInput, LogsApi
from connector_platform.exceptions import BadRequestException

from test_e2e import import_tokens, point_at_mock


def logs_of(logs, connection_id, count):
    """The connection's rows once `count` are there (rows are written moments after)."""
    deadline = time.monotonic() + 10
    while True:
        page = logs.list_logs(connection_id=connection_id, limit=200)
        if len(page.data) >= count or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_typed_actions_appear_in_the_call_log(api, mock_provider):
    point_at_mock(api, mock_provider, "gmail")
    gmail = import_tokens(api, "gmail", "user-logs")
    actions = GmailApi(api)
    for _ in range(2):
        actions.gmail_list_messages(GmailListMessagesInput(connection_id=gmail.id, max_results=5))

    logs = LogsApi(api)
    page = logs_of(logs, gmail.id, 2)
    assert len(page.data) == 2
    entry = page.data[0]
    assert entry.kind == CallKind.ACTION
    assert entry.connector == "gmail"
    assert entry.method == "GET"
    assert entry.path == "/users/{userId}/messages"
    assert entry.status == 200
    assert entry.attempts == 1
    assert entry.error is None

    first = logs.list_logs(connection_id=gmail.id, limit=1)
    assert first.next_cursor
    second = logs.list_logs(connection_id=gmail.id, limit=1, cursor=first.next_cursor)
    assert int(second.data[0].id) < int(first.data[0].id)

    try:
        logs.list_logs(cursor="not-ours")
        raise AssertionError("a foreign cursor is refused")
    except BadRequestException as error:
        assert "invalid_cursor" in error.body
