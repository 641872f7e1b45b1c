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
	"GET /github/repos/octocat/Hello-World": map[string]any{
		"id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": "Hello-World",
		"full_name": "octocat/Hello-World", "owner": githubUser, "private": false,
		"html_url": "https://github.com/octocat/Hello-World", "description": nil, "fork": false,
		"url": "https://api.github.com/repos/octocat/Hello-World", "created_at": "2011-01-26T19:01:12Z",
		"updated_at": "2011-01-26T19:14:43Z", "pushed_at": "2011-01-26T19:06:43Z", "default_branch": "main",
	},
	"GET /github/repos/octocat/Hello-World/issues": []any{map[string]any{
		"id": 1, "node_id": "MDU6SXNzdWUx", "url": "https://api.github.com/repos/octocat/Hello-World/issues/1347",
		"repository_url": "https://api.github.com/repos/octocat/Hello-World",
		"html_url": "https://github.com/octocat/Hello-World/issues/1347", "number": 1347, "state": "open",
		"title": "Found a bug", "user": githubUser, "labels": []any{map[string]any{
			"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=", "name": "bug", "color": "f29513", "default": true,
			"url": "https://api.github.com/repos/octocat/Hello-World/labels/bug",
		}},
		"assignee": nil, "milestone": nil, "locked": false, "comments": 0, "closed_at": nil,
		"created_at": "2011-04-22T13:33:48Z", "updated_at": "2011-04-22T13:33:48Z", "author_association": "COLLABORATOR",
	}},
	"GET /acme/ping": map[string]any{"pong": true},
}

// A GitHub account as the REST API answers it.
var githubUser = map[string]any{
	"login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
	"avatar_url": "https://github.com/images/error/octocat_happy.gif",
	"url": "https://api.github.com/users/octocat", "html_url": "https://github.com/octocat",
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
	// Entries are a union told apart by `.tag`: the folder alternative is set (poem-openapi
	// names it union + alternative: the alternative's fields and the tag).
	photos := folder.Entries[0].DropboxMetadataDropboxFolderMetadata
	if photos == nil || photos.Name != "Photos" || photos.Tag != "folder" || folder.Entries[0].DropboxMetadataDropboxFileMetadata != nil || folder.HasMore {
		t.Errorf("folder: %+v", folder)
	}
}

func TestGitHubRepositoriesAndIssues(t *testing.T) {
	api, ctx := client(secretKey)
	integration := cp.NewIntegrationInput()
	integration.SetClientId("github-client")
	integration.SetClientSecret("secret")
	integration.SetBaseUrl(mockURL + "/github")
	if _, _, err := api.IntegrationsAPI.PutIntegration(ctx, "github").IntegrationInput(*integration).Execute(); err != nil {
		t.Fatal(err)
	}
	github := importTokens(t, api, ctx, "github", "user-go")

	repo, _, err := api.GithubAPI.GithubGetRepo(ctx).GithubGetRepoInput(*cp.NewGithubGetRepoInput(github.Id, "octocat", "Hello-World")).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if repo.FullName != "octocat/Hello-World" || repo.Owner.Login != "octocat" || repo.DefaultBranch != "main" || repo.Description != nil {
		t.Errorf("repo: %+v", repo)
	}

	input := cp.NewGithubListIssuesInput(github.Id, "octocat", "Hello-World")
	input.SetState(cp.GITHUBLISTISSUESSTATE_OPEN)
	input.SetPerPage(2)
	issues, _, err := api.GithubAPI.GithubListIssues(ctx).GithubListIssuesInput(*input).Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 1 || issues[0].Number != 1347 || issues[0].Labels[0].Name != "bug" {
		t.Errorf("issues: %+v", issues)
	}
	received.Lock()
	last := received.requests[len(received.requests)-1]
	received.Unlock()
	if last.URL.RawQuery != "state=open&per_page=2" || last.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
		t.Errorf("github got %s with %v", last.URL, last.Header)
	}

	// GitHub's 404 comes back as a typed 502 carrying the provider's status.
	_, response, err := api.GithubAPI.GithubGetRepo(ctx).GithubGetRepoInput(*cp.NewGithubGetRepoInput(github.Id, "octocat", "missing")).Execute()
	if response == nil || response.StatusCode != http.StatusBadGateway {
		t.Fatalf("want 502, got %v", err)
	}
	if code := errorCode(t, err); code != "upstream_error" {
		t.Errorf("code %q", code)
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
