"""Webhooks with the generated Python SDK: an endpoint is made, a connection event reaches a
receiver, and the receiver verifies the delivery with the Standard Webhooks library."""

import json
import queue
import threading
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

from connector_platform import ConnectionsApi, CreateConnection, CreateWebhookEndpoint, WebhooksApi


def receiver():
    """A loopback receiver: each delivery's headers and raw body go to the queue."""
    deliveries = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            deliveries.put((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, deliveries


def test_a_delivery_verifies_with_the_standard_webhooks_library(api):
    server, deliveries = receiver()
    try:
        webhooks = WebhooksApi(api)
        endpoint = webhooks.create_webhook_endpoint(
            CreateWebhookEndpoint(url=f"http://127.0.0.1:{server.server_port}/hooks", events=["connection.created"])
        )
        assert endpoint.secret.startswith("whsec_")
        connection_id = f"hooked-{uuid.uuid4().hex[:8]}"
        ConnectionsApi(api).create_connection(
            CreateConnection(
                connector="gmail",
                connection_id=connection_id,
                end_user_id="user-hooks",
                credentials={
                    "access_token": "gmail-access",
                    "expires_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
                },
            )
        )
        headers, body = deliveries.get(timeout=15)
        # What a receiver does: verify the raw body against the three webhook-* headers.
        event = Webhook(endpoint.secret).verify(body, headers)
        assert event["type"] == "connection.created"
        assert event["data"]["id"] == connection_id
        assert json.loads(body)["data"]["end_user_id"] == "user-hooks"
        try:
            Webhook(endpoint.secret).verify(body + b" ", headers)
            raise AssertionError("a changed body verified")
        except Exception as error:  # the library's WebhookVerificationError
            assert "verif" in type(error).__name__.lower() or "signature" in str(error).lower()

        listed = webhooks.list_webhook_deliveries(endpoint_id=endpoint.id).data
        assert [delivery.event_id for delivery in listed] == [headers["webhook-id"]]
    finally:
        WebhooksApi(api).delete_webhook_endpoint(endpoint.id)
        server.shutdown()
