// The generated Go SDK against a live server: registry, integrations, connections, typed
// actions of three connectors, the request envelope, and typed errors.
//
// The server is the binary cargo built (target/debug/connector, or $CONNECTOR_BIN), started
// on a temporary SQLite database; a mock provider (httptest) answers as Gmail, OneDrive,
// Dropbox and an API-key service would.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cp "github.com/connector-platform/sdk-go"
)

const (
	secretKey = "sk_sdk_e2e_go_0123456789abcdef0123"
	apiKey    = "acme-key-go"
)

var (
	serverURL string
	mockURL   string
	received  = struct {
		sync.Mutex
		requests []*http.Request
	}{}
)

var routes = map[string]any{
	"GET /gmail/users/me/messages": map[string]any{
		"messages":           []any{map[string]any{"id": "m1", "threadId": "t1"}},
		"resultSizeEstimate": 1,
	},
	"GET /onedrive/me/drive/root/children": map[string]any{
		"value": []any{map[string]any{"id": "item-1", "name": "report.pdf", "size": 1024}},
	},
	"POST /dropbox/files/list_folder": map[string]any{
		"entries":  []any{map[string]any{".tag": "folder", "name": "Photos", "id": "id:2"}},
		"cursor":   "cursor-1",
		"has_more": false,
	},
	"GET /acme/ping": map[string]any{"pong": true},
}

func mockProvider(w http.ResponseWriter, r *http.Request) {
	received.Lock()
	received.requests = append(received.requests, r.Clone(context.Background()))
	received.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasPrefix(r.URL.Path, "/acme/") && r.Header.Get("X-Api-Key") != apiKey {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"bad key"}`)
		return
	}
	answer, ok := routes[r.Method+" "+r.URL.Path]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"no route %s %s"}`, r.Method, r.URL.Path)
		return
	}
	_ = json.NewEncoder(w).Encode(answer)
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	mock := httptest.NewServer(http.HandlerFunc(mockProvider))
	defer mock.Close()
	mockURL = mock.URL

	binary := os.Getenv("CONNECTOR_BIN")
	if binary == "" {
		binary, _ = filepath.Abs("../../../target/debug/connector")
	}
	if _, err := os.Stat(binary); err != nil {
		fmt.Fprintf(os.Stderr, "%s does not exist: build it with `cargo build -p server`\n", binary)
		return 1
	}
	data, err := os.MkdirTemp("", "connector-go-e2e")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(data)
	defs := filepath.Join(data, "defs")
	must(os.Mkdir(defs, 0o700))
	must(os.WriteFile(filepath.Join(defs, "acme.yaml"), []byte(
		"name: acme\nversion: 1.0.0\nbase_url: "+mockURL+"/acme\n"+
			"auth: { kind: api_key, in: header, name: X-Api-Key }\n"+
			"endpoints:\n  ping: { method: GET, path: /ping }\n"), 0o600))

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	address := listener.Addr().String()
	listener.Close()

	server := exec.Command(binary, "serve")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.Contains(kv, "_CLIENT_ID=") && !strings.Contains(kv, "_CLIENT_SECRET=") {
			env = append(env, kv)
		}
	}
	server.Env = append(env,
		"CONNECTOR_BIND="+address,
		"CONNECTOR_DATA_DIR="+filepath.Join(data, "state"),
		"CONNECTOR_SECRET_KEY="+secretKey,
		"CONNECTOR_DEFS_DIR="+defs,
		"RUST_LOG=warn",
	)
	logFile, err := os.Create(filepath.Join(data, "server.log"))
	must(err)
	server.Stdout, server.Stderr = logFile, logFile
	must(server.Start())
	defer func() {
		_ = server.Process.Signal(os.Interrupt)
		_, _ = server.Process.Wait()
	}()
	serverURL = "http://" + address
	deadline := time.Now().Add(60 * time.Second)
	for {
		response, err := http.Get(serverURL + "/healthz")
		if err == nil && response.StatusCode == http.StatusOK {
			response.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(data, "server.log"))
			fmt.Fprintf(os.Stderr, "the server did not start:\n%s\n", log)
			return 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m.Run()
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func client(key string) (*cp.APIClient, context.Context) {
	configuration := cp.NewConfiguration()
	configuration.Servers = cp.ServerConfigurations{{URL: serverURL}}
	ctx := context.WithValue(context.Background(), cp.ContextAccessToken, key)
	return cp.NewAPIClient(configuration), ctx
}

var counter struct {
	sync.Mutex
	n int
}

func unique(prefix string) string {
	counter.Lock()
	defer counter.Unlock()
	counter.n++
	return fmt.Sprintf("%s-go-%d-%d", prefix, time.Now().UnixNano(), counter.n)
}

func importTokens(t *testing.T, api *cp.APIClient, ctx context.Context, connector, endUser string) *cp.Connection {
	t.Helper()
	input := cp.NewCreateConnection(connector)
	input.SetConnectionId(unique(connector))
	input.SetEndUserId(endUser)
	input.SetCredentials(map[string]string{
		"access_token":  connector + "-access",
		"refresh_token": connector + "-refresh",
		"expires_at":    time.Now().Add(time.Hour).Format(time.RFC3339),
	})
	created, _, err := api.ConnectionsAPI.CreateConnection(ctx).CreateConnection(*input).Execute()
	if err != nil {
		t.Fatalf("create %s connection: %v", connector, err)
	}
	return created
}

func errorCode(t *testing.T, err error) string {
	t.Helper()
	var apiErr *cp.GenericOpenAPIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("not an API error: %v", err)
	}
	body, ok := apiErr.Model().(cp.ErrorBody)
	if !ok {
		t.Fatalf("the error carries no ErrorBody: %v (%s)", apiErr.Model(), apiErr.Body())
	}
	return body.Error.Code
}

func TestRegistryListsCompiledAndRunTimeConnectors(t *testing.T) {
	api, ctx := client(secretKey)
	byName := map[string]cp.Connector{}
	for _, q := range []string{"gmail", "ACME"} {
		list, _, err := api.ConnectorsAPI.ListConnectors(ctx).Q(q).Execute()
		if err != nil {
			t.Fatal(err)
		}
		for _, connector := range list.Data {
			byName[connector.Name] = connector
		}
	}
	if !byName["gmail"].Typed || byName["gmail"].AuthKind != cp.AUTHKIND_OAUTH2 {
		t.Errorf("gmail: %+v", byName["gmail"])
	}
	if byName["acme"].Typed || byName["acme"].AuthKind != cp.AUTHKIND_API_KEY {
		t.Errorf("acme: %+v", byName["acme"])
	}
	// Pages in name order, following the cursor.
	first, _, err := api.ConnectorsAPI.ListConnectors(ctx).AuthKind(cp.AUTHKIND_OAUTH2).Limit(2).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Data) != 2 || first.NextCursor == nil {
		t.Fatalf("first page: %+v", first)
	}
	second, _, err := api.ConnectorsAPI.ListConnectors(ctx).AuthKind(cp.AUTHKIND_OAUTH2).Limit(2).Cursor(*first.NextCursor).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Data) == 0 || second.Data[0].Name <= first.Data[1].Name {
		t.Errorf("second page: %+v", second)
	}
}

func TestTypedActionsAcrossThreeConnectors(t *testing.T) {
	api, ctx := client(secretKey)
	for _, connector := range []string{"gmail", "onedrive", "dropbox"} {
		integration := cp.NewIntegrationInput()
		integration.SetClientId(connector + "-client")
		integration.SetClientSecret("secret")
		integration.SetBaseUrl(mockURL + "/" + connector)
		if _, _, err := api.IntegrationsAPI.PutIntegration(ctx, connector).IntegrationInput(*integration).Execute(); err != nil {
			t.Fatalf("integration %s: %v", connector, err)
		}
	}
	gmail := importTokens(t, api, ctx, "gmail", "user-go")
	onedrive := importTokens(t, api, ctx, "onedrive", "user-go")
	dropbox := importTokens(t, api, ctx, "dropbox", "user-go")

	listInput := cp.NewGmailListMessagesInput(gmail.Id)
	listInput.SetMaxResults(3)
	messages, _, err := api.GmailAPI.GmailListMessages(ctx).GmailListMessagesInput(*listInput).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(messages.Messages) != 1 || messages.Messages[0].GetId() != "m1" || messages.GetResultSizeEstimate() != 1 {
		t.Errorf("messages: %+v", messages)
	}
	received.Lock()
	last := received.requests[len(received.requests)-1]
	received.Unlock()
	if last.URL.Query().Get("maxResults") != "3" || last.Header.Get("Authorization") != "Bearer gmail-access" {
		t.Errorf("gmail got %s with %q", last.URL, last.Header.Get("Authorization"))
	}

	children, _, err := api.OnedriveAPI.OnedriveListRootChildren(ctx).OnedriveListRootChildrenInput(*cp.NewOnedriveListRootChildrenInput(onedrive.Id)).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if children.Value[0].GetName() != "report.pdf" || children.Value[0].GetSize() != 1024 {
		t.Errorf("children: %+v", children.Value)
	}

	folderInput := cp.NewDropboxListFolderInput(dropbox.Id)
	folderInput.SetPath("")
	folder, _, err := api.DropboxAPI.DropboxListFolder(ctx).DropboxListFolderInput(*folderInput).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if folder.Entries[0].Name != "Photos" || folder.HasMore {
		t.Errorf("folder: %+v", folder)
	}
}

func TestAnAPIKeyConnectionThroughTheRequestEnvelope(t *testing.T) {
	api, ctx := client(secretKey)
	input := cp.NewCreateConnection("acme")
	input.SetCredentials(map[string]string{"api_key": apiKey})
	created, _, err := api.ConnectionsAPI.CreateConnection(ctx).CreateConnection(*input).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if created.Status != cp.CONNECTIONSTATUS_ACTIVE {
		t.Errorf("status %s", created.Status)
	}
	answer, _, err := api.ConnectionsAPI.ConnectionRequest(ctx, created.Id).EnvelopeRequest(*cp.NewEnvelopeRequest(cp.HTTPMETHOD_GET, "/ping")).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if answer.Status != 200 {
		t.Errorf("status %d", answer.Status)
	}
	if body, ok := answer.Body.(map[string]any); !ok || body["pong"] != true {
		t.Errorf("body %#v", answer.Body)
	}
}

func TestConnectionsAreGotListedAndDeleted(t *testing.T) {
	api, ctx := client(secretKey)
	endUser := unique("user")
	first := importTokens(t, api, ctx, "gmail", endUser)
	importTokens(t, api, ctx, "gmail", endUser)

	got, _, err := api.ConnectionsAPI.GetConnection(ctx, first.Id).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if got.Connector != "gmail" || got.GetEndUserId() != endUser {
		t.Errorf("got %+v", got)
	}
	page, _, err := api.ConnectionsAPI.ListConnections(ctx).EndUserId(endUser).Limit(1).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.GetNextCursor() == "" {
		t.Fatalf("page %+v", page)
	}
	rest, _, err := api.ConnectionsAPI.ListConnections(ctx).EndUserId(endUser).Cursor(page.GetNextCursor()).Execute()
	if err != nil || len(rest.Data) != 1 || rest.NextCursor != nil {
		t.Fatalf("rest %+v %v", rest, err)
	}
	token, _, err := api.ConnectionsAPI.GetConnectionToken(ctx, first.Id).Execute()
	if err != nil || token.AccessToken != "gmail-access" {
		t.Fatalf("token %+v %v", token, err)
	}

	if _, err := api.ConnectionsAPI.DeleteConnection(ctx, first.Id).Execute(); err != nil {
		t.Fatal(err)
	}
	_, response, err := api.ConnectionsAPI.GetConnection(ctx, first.Id).Execute()
	if response == nil || response.StatusCode != http.StatusNotFound {
		t.Fatalf("want 404, got %v", err)
	}
	if code := errorCode(t, err); code != "connection_not_found" {
		t.Errorf("code %q", code)
	}
}

func TestAWrongSecretKeyIsATyped401(t *testing.T) {
	api, ctx := client("sk_wrong")
	_, response, err := api.ConnectorsAPI.ListConnectors(ctx).Execute()
	if response == nil || response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401, got %v", err)
	}
	if code := errorCode(t, err); code != "unauthorized" {
		t.Errorf("code %q", code)
	}
}
