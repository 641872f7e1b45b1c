package e2e

import (
	"testing"
	"time"

	cp "github.com/connector-platform/sdk-go"
)

// The call log through the generated Go SDK: a typed action's calls are listed for the
// connection, newest first, and paged with the cursor.
func TestTypedActionsAppearInTheCallLog(t *testing.T) {
	api, ctx := client(secretKey)
	integration := cp.NewIntegrationInput()
	integration.SetClientId("gmail-client")
	integration.SetClientSecret("secret")
	integration.SetBaseUrl(mockURL + "/gmail")
	if _, _, err := api.IntegrationsAPI.PutIntegration(ctx, "gmail").IntegrationInput(*integration).Execute(); err != nil {
		t.Fatal(err)
	}
	gmail := importTokens(t, api, ctx, "gmail", "user-go-logs")
	for i := 0; i < 2; i++ {
		input := cp.NewGmailListMessagesInput(gmail.Id)
		if _, _, err := api.GmailAPI.GmailListMessages(ctx).GmailListMessagesInput(*input).Execute(); err != nil {
			t.Fatal(err)
		}
	}

	// Rows are written in batches, moments after the calls.
	var page *cp.LogPage
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		page, _, err = api.LogsAPI.ListLogs(ctx).ConnectionId(gmail.Id).Execute()
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(page.Data) != 2 {
		t.Fatalf("rows: %+v", page.Data)
	}
	entry := page.Data[0]
	if entry.Kind != cp.CALLKIND_ACTION || entry.GetConnector() != "gmail" || entry.Path != "/users/{userId}/messages" || entry.GetStatus() != 200 || entry.Attempts != 1 {
		t.Errorf("entry: %+v", entry)
	}

	first, _, err := api.LogsAPI.ListLogs(ctx).ConnectionId(gmail.Id).Limit(1).Execute()
	if err != nil || first.GetNextCursor() == "" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	second, _, err := api.LogsAPI.ListLogs(ctx).ConnectionId(gmail.Id).Limit(1).Cursor(first.GetNextCursor()).Execute()
	if err != nil || len(second.Data) != 1 || second.Data[0].Id == first.Data[0].Id {
		t.Fatalf("second page: %+v %v", second, err)
	}

	_, _, err = api.LogsAPI.ListLogs(ctx).Cursor("not-ours").Execute()
	if code := errorCode(t, err); code != "invalid_cursor" {
		t.Errorf("a foreign cursor: %s", code)
	}
}
