package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	cp "github.com/connector-platform/sdk-go"
)

// A delivery of the platform's webhooks, verified by a receiver with the Standard Webhooks
// library, as a Go service receiving them would.
func TestADeliveryVerifiesWithTheStandardWebhooksLibrary(t *testing.T) {
	type delivery struct {
		header http.Header
		body   []byte
	}
	deliveries := make(chan delivery, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		deliveries <- delivery{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	api, ctx := client(secretKey)
	input := cp.NewCreateWebhookEndpoint(receiver.URL+"/hooks", []string{"connection.created"})
	endpoint, _, err := api.WebhooksAPI.CreateWebhookEndpoint(ctx).CreateWebhookEndpoint(*input).Execute()
	must(err)
	defer api.WebhooksAPI.DeleteWebhookEndpoint(ctx, endpoint.Id).Execute()
	created := importTokens(t, api, ctx, "gmail", "user-hooks-go")

	var got delivery
	select {
	case got = <-deliveries:
	case <-time.After(15 * time.Second):
		t.Fatal("no delivery within 15 s")
	}
	verifier, err := standardwebhooks.NewWebhook(endpoint.GetSecret())
	must(err)
	if err := verifier.Verify(got.body, got.header); err != nil {
		t.Fatalf("the delivery does not verify: %v", err)
	}
	if err := verifier.Verify(append(got.body, ' '), got.header); err == nil {
		t.Fatal("a changed body verified")
	}
	var event struct {
		Type string `json:"type"`
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	must(json.Unmarshal(got.body, &event))
	if event.Type != "connection.created" || event.Data.ID != created.Id {
		t.Fatalf("event %+v", event)
	}

	listed, _, err := api.WebhooksAPI.ListWebhookDeliveries(ctx).EndpointId(endpoint.Id).Execute()
	must(err)
	if len(listed.Data) != 1 || listed.Data[0].EventId != got.header.Get("webhook-id") {
		t.Fatalf("deliveries %+v", listed.Data)
	}
}
