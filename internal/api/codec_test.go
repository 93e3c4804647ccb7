package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/store"
)

// testUIOrigin is the Temporal UI's origin the test server allows.
const testUIOrigin = "http://127.0.0.1:8233"

func testRing(t testing.TB) *codec.KeyRing {
	t.Helper()
	r, err := codec.NewKeyRing("k1", map[string][]byte{"k1": bytes.Repeat([]byte{9}, codec.KeySize)})
	require.NoError(t, err)
	return r
}

func TestCodecEndpoint(t *testing.T) {
	e := start(t)
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"id": "079203001234", "name": "Trần Văn Bình"})
	require.NoError(t, err)
	md := map[string]string{}
	for k, v := range plain.Metadata {
		md[k] = base64.StdEncoding.EncodeToString(v)
	}
	body, err := json.Marshal(api.CodecPayloads{Payloads: []api.CodecPayload{{Metadata: md, Data: base64.StdEncoding.EncodeToString(plain.Data)}}})
	require.NoError(t, err)

	// The administrator seals, then opens.
	a := e.do("POST", "/codec/encode", tokAdmin, "application/json", body, "Origin", testUIOrigin)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	require.Equal(t, testUIOrigin, a.header.Get("Access-Control-Allow-Origin"))
	var sealed api.CodecPayloads
	a.json(t, &sealed)
	require.Len(t, sealed.Payloads, 1)
	enc, err := base64.StdEncoding.DecodeString(sealed.Payloads[0].Metadata[codec.MetadataEncoding])
	require.NoError(t, err)
	require.Equal(t, codec.EncodingEncrypted, string(enc))
	data, err := base64.StdEncoding.DecodeString(sealed.Payloads[0].Data)
	require.NoError(t, err)
	require.NotContains(t, string(data), "079203001234")
	sealedBody, err := json.Marshal(sealed)
	require.NoError(t, err)
	a = e.do("POST", "/codec/decode", tokAdmin, "application/json", sealedBody)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var opened api.CodecPayloads
	a.json(t, &opened)
	require.Equal(t, base64.StdEncoding.EncodeToString(plain.Data), opened.Payloads[0].Data)

	// Officers and citizens may not; nobody anonymous.
	for _, tok := range []string{tokMotCua, tokCitizen} {
		a = e.do("POST", "/codec/decode", tok, "application/json", sealedBody)
		require.Equal(t, http.StatusForbidden, a.status)
		require.Contains(t, a.apiError(t).Message, "only administrators may use the payload codec")
	}
	a = e.do("POST", "/codec/decode", "", "application/json", sealedBody)
	require.Equal(t, http.StatusUnauthorized, a.status)

	// Bad bodies are 400 and 413, with the API's error shape.
	a = e.do("POST", "/codec/decode", tokAdmin, "application/json", []byte(`{"payloads": 7}`))
	require.Equal(t, http.StatusBadRequest, a.status)
	require.Contains(t, a.apiError(t).Message, "protobuf JSON")
	tampered := bytes.Replace(sealedBody, []byte(`"k1"`), []byte(`"azk="`), 1) // key id base64 of "k9"
	tampered = bytes.ReplaceAll(tampered, []byte(`"azE="`), []byte(`"azk="`))
	a = e.do("POST", "/codec/decode", tokAdmin, "application/json", tampered)
	require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
	require.Contains(t, a.apiError(t).Message, "unknown key")
	huge := []byte(`{"payloads": [{"data": "` + strings.Repeat("A", 9<<20) + `"}]}`)
	a = e.do("POST", "/codec/decode", tokAdmin, "application/json", huge)
	require.Equal(t, http.StatusRequestEntityTooLarge, a.status)

	// The browser's preflight: allowed for the UI's origin only.
	a = e.do("OPTIONS", "/codec/decode", "", "", nil, "Origin", testUIOrigin, "Access-Control-Request-Method", "POST")
	require.Equal(t, http.StatusNoContent, a.status)
	require.Equal(t, testUIOrigin, a.header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, a.header.Get("Access-Control-Allow-Headers"), "Authorization")
	a = e.do("OPTIONS", "/codec/decode", "", "", nil, "Origin", "http://evil.example")
	require.Equal(t, http.StatusForbidden, a.status)
	require.Empty(t, a.header.Get("Access-Control-Allow-Origin"))

	// Every use is in the audit log, the denials too.
	entries, err := e.engine.Store.AuditList(t.Context(), store.AuditListParams{})
	require.NoError(t, err)
	var uses, denials int
	for _, en := range entries {
		switch {
		case en.Action == "codec.decode" && en.Subject == "quan-tri" && en.Decision == store.AuditAccepted:
			uses++
		case strings.HasPrefix(en.Action, "codec.") && en.Decision == store.AuditDenied:
			denials++
		}
	}
	require.GreaterOrEqual(t, uses, 1)
	require.GreaterOrEqual(t, denials, 2)
}
