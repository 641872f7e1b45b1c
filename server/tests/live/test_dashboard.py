"""The dashboard and the hosted connect page in headless Chromium: login, every page with no
console error, a connection deleted through the UI, a forged write refused, and an end user
connecting an API-key provider."""

import os
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from conftest import GOOD_KEY, SECRET_KEY, api

SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")
PAGES = ["Overview", "Connectors", "Integrations", "Connections", "Logs", "Webhooks"]


def log_in(page, server_url):
    page.goto(f"{server_url}/dashboard")
    assert page.url.endswith("/dashboard/login"), "a new browser is sent to the login page"
    page.fill("input[name=secret_key]", SECRET_KEY)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server_url}/dashboard")


def shoot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def new_connection(server_url, end_user="user-ui"):
    connection_id = f"ui-{uuid.uuid4().hex[:8]}"
    status, body = api(
        server_url,
        "POST",
        "/v1/connections",
        {"connector": "acme", "connection_id": connection_id, "end_user_id": end_user, "credentials": {"api_key": GOOD_KEY}},
    )
    assert status == 201, body
    return connection_id


def test_a_wrong_key_shows_an_error_and_sets_no_cookie(page, server_url):
    page.goto(f"{server_url}/dashboard/login")
    page.fill("input[name=secret_key]", "sk_wrong_key_0123456789abcdef")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "That is not a secret key of this server."
    assert page.context.cookies() == []
    assert page.errors == []


def test_login_sets_a_session_cookie_that_is_not_the_key(page, server_url):
    log_in(page, server_url)
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies["connector_session"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    assert SECRET_KEY not in session["value"]
    assert page.errors == []


def proxy(server_url, connection_id, path):
    request = urllib.request.Request(
        f"{server_url}/v1/proxy/{connection_id}{path}", headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_page_renders_with_no_console_error(page, server_url):
    connection_id = new_connection(server_url)
    # Two calls for the log and the health figures: one answered, one refused by the provider.
    assert proxy(server_url, connection_id, "/me") == 200
    assert proxy(server_url, connection_id, "/missing") == 401
    log_in(page, server_url)
    for name in PAGES:
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_load_state("load")
        heading = page.locator("h1").first.inner_text()
        assert heading, name
        if name == "Logs":
            # The log is written about a second after the calls.
            for _ in range(50):
                if page.locator(f"td:has-text('{connection_id}')").count() >= 2:
                    break
                time.sleep(0.1)
                page.reload()
            assert page.locator(f"td:has-text('{connection_id}')").count() >= 2
        shoot(page, name.lower())
    page.get_by_role("link", name="Overview", exact=True).click()
    assert int(page.locator("#calls").inner_text()) >= 2
    assert page.locator("#error-rate").inner_text().endswith("%")
    shoot(page, "overview")
    assert page.errors == [], page.errors


def test_the_connectors_page_searches_the_catalog(page, server_url):
    log_in(page, server_url)
    page.goto(f"{server_url}/dashboard/connectors")
    page.fill("#q", "klaviyo")
    # htmx swaps the table in without a reload.
    page.wait_for_function("() => document.querySelectorAll('#connector-rows tbody tr').length <= 3")
    names = page.locator("#connector-rows tbody td:first-child").all_inner_texts()
    assert "klaviyo" in names and all("klaviyo" in name for name in names), names
    assert page.errors == []


def test_a_connection_is_deleted_through_the_ui(page, server_url):
    connection_id = new_connection(server_url)
    log_in(page, server_url)
    page.goto(f"{server_url}/dashboard/connections")
    row = page.locator(f"tr[data-connection='{connection_id}']")
    row.get_by_role("button", name="Delete").click()
    assert f"Connection {connection_id} is deleted." in page.get_by_role("status").inner_text()
    assert page.locator(f"tr[data-connection='{connection_id}']").count() == 0
    status, _ = api(server_url, "GET", f"/v1/connections/{connection_id}")
    assert status == 404
    assert page.errors == []


def test_a_forged_write_without_the_csrf_token_is_refused(page, server_url):
    connection_id = new_connection(server_url)
    log_in(page, server_url)
    # The browser's own cookie, from this origin, but no token: refused.
    forged = page.request.post(
        f"{server_url}/dashboard/connections/{connection_id}/delete",
        form={"csrf_token": "forged"},
        headers={"Origin": server_url},
        max_redirects=0,
    )
    assert forged.status == 403
    # With the page's token but from another origin: refused too.
    token = page.locator("input[name=csrf_token]").first.input_value()
    cross = page.request.post(
        f"{server_url}/dashboard/connections/{connection_id}/delete",
        form={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        max_redirects=0,
    )
    assert cross.status == 403
    status, _ = api(server_url, "GET", f"/v1/connections/{connection_id}")
    assert status == 200, "the connection is still there"


def test_an_end_user_connects_an_api_key_provider_on_the_connect_page(page, server_url):
    end_user = f"end-{uuid.uuid4().hex[:8]}"
    status, session = api(server_url, "POST", "/v1/connect/sessions", {"end_user_id": end_user, "allowed_connectors": ["acme"]})
    assert status == 201, session
    assert session["url"].startswith(f"{server_url}/connect/cs_")
    page.goto(session["url"])
    page.get_by_role("link", name="Acme CRM").click()
    shoot(page, "connect")
    # A key the provider refuses: the page says so, nothing is stored.
    page.fill("input[name='credential.api_key']", "wrong-key")
    page.get_by_role("button", name="Connect").click()
    assert "refused the credentials" in page.get_by_role("alert").inner_text()
    page.fill("input[name='credential.api_key']", GOOD_KEY)
    page.get_by_role("button", name="Connect").click()
    connection_id = page.locator("#connection-id").inner_text()
    status, listed = api(server_url, "GET", f"/v1/connections?end_user_id={end_user}")
    assert status == 200
    assert [connection["id"] for connection in listed["data"]] == [connection_id]
    assert listed["data"][0]["connector"] == "acme"
    assert page.errors == [], page.errors


def test_a_connect_link_works_in_the_first_browser_only(browser, server_url):
    status, session = api(server_url, "POST", "/v1/connect/sessions", {"end_user_id": "end-two"})
    assert status == 201
    first = browser.new_context()
    second = browser.new_context()
    try:
        assert first.new_page().goto(session["url"]).status == 200
        answer = second.new_page().goto(session["url"])
        assert answer.status == 403
    finally:
        first.close()
        second.close()
