package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/restatedev/sdk-go/ingress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/console"
	"github.com/reaflow/reaflow/internal/testkit/restateserver"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
	"github.com/reaflow/reaflow/internal/testkit/sandbox"
	"github.com/reaflow/reaflow/interpreter"
)

// identityKey is a request identity key pair: the private key as the PKCS#8
// PEM file restate-server reads
// (worker.invoker.request-identity-private-key-pem-file), and the public
// key in the form endpoints are given ("publickeyv1_" and its base58).
type identityKey struct {
	pemFile string
	public  string
	private ed25519.PrivateKey
}

func newIdentityKey(t *testing.T) identityKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "request-identity.pem")
	require.NoError(t, os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	return identityKey{pemFile: file, public: "publickeyv1_" + base58(pub), private: priv}
}

// base58 encodes with the Bitcoin alphabet, as the SDK decodes keys.
func base58(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	for mod, base := new(big.Int), big.NewInt(58); n.Sign() > 0; {
		n.DivMod(n, base, mod)
		out = append(out, alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, alphabet[0])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// token signs a request identity JWT for path, as restate-server does.
func (k identityKey) token(path string) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": k.public})
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{"aud": path, "iat": now, "nbf": now - 60, "exp": now + 60})
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	return signed + "." + enc.EncodeToString(ed25519.Sign(k.private, []byte(signed)))
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs `reaflow serve` as a process with args and env, and
// returns its URL and everything it writes.
func startServe(t *testing.T, env []string, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	out := &lockedBuffer{}
	cmd := exec.Command(reaflowBin, append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "listening on") }, 10*time.Second, 10*time.Millisecond,
		"reaflow serve starts: %s", out)
	return "http://" + addr, out
}

// h2c speaks HTTP/2 without TLS, as Restate does to endpoints.
var h2c = func() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}()

// call sends a request to the endpoint, with the identity headers given.
func call(t *testing.T, method, url string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(""))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/vnd.restate.invocation.v5")
	req.Header.Set("Accept", "application/vnd.restate.endpointmanifest.v3+json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h2c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// With --identity-key, the endpoint serves only requests that a Restate
// server holding the private key signed: anything else, whoever sends it,
// gets 401 before it reaches a handler.
func TestEndpointAcceptsOnlySignedRequests(t *testing.T) {
	key, other := newIdentityKey(t), newIdentityKey(t)
	providers := sandbox.New()
	sandboxURL, err := providers.Start(t.Context(), "")
	require.NoError(t, err)
	url, out := startServe(t, nil, "--identity-key", key.public, "--payments-url", sandboxURL+"/payments")

	v1 := func(token string) map[string]string {
		return map[string]string{"X-Restate-Signature-Scheme": "v1", "X-Restate-Jwt-V1": token}
	}
	for name, tt := range map[string]struct {
		method, path string
		headers      map[string]string
	}{
		"discovery without a signature":         {"GET", "/discover", nil},
		"an invocation without a signature":     {"POST", "/invoke/Reaflow/Run", nil},
		"an invocation claiming to be unsigned": {"POST", "/invoke/Reaflow/Run", map[string]string{"X-Restate-Signature-Scheme": "unsigned"}},
		"a token signed with another key":       {"POST", "/invoke/Reaflow/Run", v1(other.token("/invoke/Reaflow/Run"))},
		"a token for another path":              {"POST", "/invoke/Reaflow/Signal", v1(key.token("/invoke/Reaflow/Run"))},
		"a forged token":                        {"POST", "/invoke/Reaflow/Run", v1(strings.Replace(key.token("/invoke/Reaflow/Run"), ".", ".e30.", 1))},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := call(t, tt.method, url+tt.path, tt.headers)
			assert.Equal(t, http.StatusUnauthorized, status, body)
		})
	}
	status, _ := call(t, "GET", url+"/discover", v1(key.token("/discover")))
	assert.Equal(t, http.StatusOK, status, "a request signed with the key is served")

	// A server without the private key cannot even register the endpoint.
	unsigned := restatetest.StartForTest(t)
	err = unsigned.RegisterDeployment(t.Context(), url)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")

	// A server with it registers the endpoint and runs workflows on it.
	signed := restatetest.StartForTest(t, restateserver.WithEnv("RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE="+key.pemFile))
	require.NoError(t, signed.RegisterDeployment(t.Context(), url))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	output, err := ingress.Workflow[interpreter.RunRequest, json.RawMessage](ingress.NewClient(signed.IngressURL), interpreter.WorkflowService, uniqueID(t), "Run").
		Request(ctx, interpreter.RunRequest{Definition: `{"name": "signed", "steps": [{"id": "charge", "activity": "charge", "with": {"amount": 5, "customer": "cus_signed"}}]}`})
	require.NoError(t, err, "endpoint output:\n%s", out)
	assert.Contains(t, string(output), `"status":"succeeded"`)
	assert.Contains(t, out.String(), "Rejecting request as its JWT did not validate", "refusals are logged")
}

// A malformed key stops serve before it listens.
func TestServeRefusesAMalformedIdentityKey(t *testing.T) {
	r := reaflow(t, "serve", "--listen", "127.0.0.1:0", "--identity-key", "publickeyv1_0OIl")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--identity-key: invalid request identity keys: v1 public key must be valid base58")
	r = reaflow(t, "serve", "--listen", "127.0.0.1:0", "--identity-key", "ssh-ed25519 AAAA")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "v1 public key must start with 'publickeyv1_'")
}

// keyedProvider is a payments provider that wants a bearer key and, on a
// decline, quotes the Authorization header it was sent, as some do.
type keyedProvider struct {
	key  string
	mu   sync.Mutex
	auth map[string]int // Authorization headers seen, with counts
}

func (p *keyedProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	p.mu.Lock()
	p.auth[auth]++
	p.mu.Unlock()
	var in struct {
		Amount   float64 `json:"amount"`
		Customer string  `json:"customer"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case auth != "Bearer "+p.key:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error": {"code": "unauthorized", "message": "bad credentials: %s"}}`, auth)
	case in.Customer == "cus_echo":
		w.WriteHeader(http.StatusPaymentRequired)
		fmt.Fprintf(w, `{"error": {"code": "card_declined", "message": "declined (request authorized as %s)"}}`, auth)
	default:
		fmt.Fprintf(w, `{"id": "ch_%s", "amount": %v, "currency": "usd", "customer": %q, "status": "succeeded"}`, in.Customer, in.Amount, in.Customer)
	}
}

// byteArrays finds the payloads that sys_journal's entry_json writes as
// arrays of byte values ({"Success":[34,97,34]}).
var byteArrays = regexp.MustCompile(`\[(\d{1,3}(?:,\d{1,3})*)\]`)

// readable turns a journal row into text a grep can search: the row's
// JSON, with every byte array decoded.
func readable(row map[string]any) string {
	encoded, _ := json.Marshal(row)
	text := string(encoded)
	var decoded strings.Builder
	for _, entry := range []string{fmt.Sprint(row["entry_json"]), fmt.Sprint(row["entry_lite_json"])} {
		for _, m := range byteArrays.FindAllStringSubmatch(entry, -1) {
			for _, n := range strings.Split(m[1], ",") {
				b, _ := strconv.Atoi(n)
				decoded.WriteByte(byte(b))
			}
			decoded.WriteByte('\n')
		}
	}
	return text + "\n" + decoded.String()
}

// A provider's API key, given to the endpoint in a file, reaches the
// provider and nothing else: not the journal or the state of the runs, not
// the endpoint's or the server's logs, not status, not the error of a run
// whose provider echoed it.
func TestProviderKeysStayOutOfEverything(t *testing.T) {
	const secret = "sk_live_reaflowTEST_9f8e7d6c5b4a"
	provider := &keyedProvider{key: secret, auth: map[string]int{}}
	payments := httptest.NewServer(provider)
	t.Cleanup(payments.Close)
	sb := sandbox.New()
	sandboxURL, err := sb.Start(t.Context(), "")
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "payments-key")
	require.NoError(t, os.WriteFile(keyFile, []byte(secret+"\n"), 0o600))

	serverLog := &lockedBuffer{}
	server := restatetest.StartForTest(t, restateserver.WithLogOutput(serverLog))
	url, endpointLog := startServe(t, []string{"REAFLOW_PAYMENTS_API_KEY_FILE=" + keyFile},
		"--payments-url", payments.URL, "--shipping-url", sandboxURL+"/shipping", "--email-url", sandboxURL+"/email", "--travel-url", sandboxURL+"/travel")
	require.NoError(t, server.RegisterDeployment(t.Context(), url))

	definition := writeFile(t, "keyed.json", `{"name": "keyed", "input": {"type": "object", "required": ["customer"]}, "steps": [
	  {"id": "charge", "activity": "charge", "with": {"amount": 7, "customer": "${ input.customer }"}},
	  {"id": "approval", "when": "input.customer == 'cus_wait'", "await": {"signal": "go"}},
	  {"id": "ship", "activity": "ship", "with": {"orderId": "${ workflow.id }", "address": "1 Loop Road"}}
	]}`)
	against := cliAgainst(t, server)
	cli := func(args ...string) result { return against(nil, args...) }

	ok, declined, waiting := uniqueID(t)+"-ok", uniqueID(t)+"-declined", uniqueID(t)+"-waiting"
	r := cli("submit", definition, "--id", ok, "--input", `{"customer": "cus_ok"}`, "--wait")
	require.Equal(t, 0, r.code, "%s\n%s\nendpoint:\n%s", r.stdout, r.stderr, endpointLog)
	failed := cli("submit", definition, "--id", declined, "--input", `{"customer": "cus_echo"}`, "--wait")
	require.Equal(t, 1, failed.code, failed.stdout)
	assert.Contains(t, failed.stdout+failed.stderr, "card_declined")
	assert.Contains(t, failed.stdout+failed.stderr, "Bearer [redacted]", "the provider's echo is redacted")
	require.Equal(t, 0, cli("submit", definition, "--id", waiting, "--input", `{"customer": "cus_wait"}`).code)
	require.Eventually(t, func() bool {
		return strings.Contains(cli("status", waiting).stdout, "approval")
	}, 20*time.Second, 100*time.Millisecond, "the run waits for its signal, with its definition in state")

	// The key did reach the provider, on every call, and only as sent.
	provider.mu.Lock()
	assert.Equal(t, map[string]int{"Bearer " + secret: 3}, provider.auth)
	provider.mu.Unlock()

	// Now look for it everywhere else.
	places := map[string]string{
		"endpoint log":       endpointLog.String(),
		"restate-server log": serverLog.String(),
		"submit output":      r.stdout + r.stderr + failed.stdout + failed.stderr,
	}
	for _, id := range []string{ok, declined, waiting} {
		for _, args := range [][]string{{"status", id}, {"status", "--json", id}, {"output", id}} {
			res := cli(args...)
			places[strings.Join(args, " ")] = res.stdout + res.stderr
		}
	}
	for table, sql := range map[string]string{
		"sys_journal":    `SELECT * FROM sys_journal`,
		"state":          `SELECT * FROM state`,
		"sys_invocation": `SELECT * FROM sys_invocation`,
		"sys_promise":    `SELECT * FROM sys_promise`,
	} {
		rows, err := server.Query(t.Context(), sql)
		require.NoError(t, err, table)
		var b strings.Builder
		for _, row := range rows {
			b.WriteString(readable(row))
		}
		places[table] = b.String()
	}
	// The console's pages show runs, steps, inputs and outputs: none of
	// them the key.
	consoleClient, err := client.New(server.IngressURL, server.AdminURL)
	require.NoError(t, err)
	pages, err := console.New(consoleClient)
	require.NoError(t, err)
	consoleSrv := httptest.NewServer(pages)
	t.Cleanup(consoleSrv.Close)
	consolePaths := []string{"/runs", "/runs?state=failed", "/definitions"}
	for _, id := range []string{ok, declined, waiting} {
		consolePaths = append(consolePaths, "/runs/"+id, "/runs/"+id+"?partial=1")
		for _, step := range []string{"charge", "approval", "ship"} {
			consolePaths = append(consolePaths, "/runs/"+id+"?step="+step)
		}
	}
	for _, path := range consolePaths {
		resp, err := http.Get(consoleSrv.URL + path)
		require.NoError(t, err)
		page, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "console %s:\n%s", path, page)
		places["console "+path] = string(page)
	}
	require.Contains(t, places["console /runs/"+declined+"?step=charge"], "card_declined", "the console shows the step's error")
	require.Contains(t, places["sys_journal"], "cus_echo", "the journal's payloads are decoded for the search")
	require.Contains(t, places["state"], "keyed", "the pinned definition is in state")
	for where, text := range places {
		assert.NotContains(t, text, secret, where)
		assert.NotContains(t, text, base64.StdEncoding.EncodeToString([]byte(secret))[:16], where)
	}
	require.NoError(t, cliSignal(cli, waiting))
}

// cliSignal lets the waiting run finish, so the server stops cleanly.
func cliSignal(cli func(...string) result, id string) error {
	if r := cli("signal", id, "go", "{}"); r.code != 0 {
		return fmt.Errorf("signal: %s", r.stderr)
	}
	return nil
}
