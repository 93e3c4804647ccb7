package api

import (
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/motcua/motcua/internal/access"
)

// The codec endpoint lets an administrator read the payloads of Temporal
// histories, which the payload codec (internal/codec) seals: the Temporal
// UI's "codec server" and the CLI's --codec-endpoint post the sealed
// payloads to /codec/decode and get them back opened. Every use is in the
// audit log. The UI calls it from the browser, so the origins in
// Options.CodecOrigins get the CORS headers, and their preflight requests
// are answered without a credential.

// maxCodecBody bounds a codec request: a page of history's payloads.
const maxCodecBody = 8 << 20

// CodecPayloads is the body and the answer of the codec endpoint, as
// Temporal's remote codec protocol has it (protobuf JSON of
// temporal.api.common.v1.Payloads).
type CodecPayloads struct {
	Payloads []CodecPayload `json:"payloads"`
}

// CodecPayload is one payload: its metadata values and its data, each
// base64-encoded (standard alphabet, padded), as protobuf JSON writes
// bytes.
type CodecPayload struct {
	Metadata map[string]string `json:"metadata,omitempty"`
	Data     string            `json:"data,omitempty"`
}

// codecRoute handles POST /codec/encode and /codec/decode.
func (s *Server) codecRoute(c *call) (any, error) {
	if s.codec == nil {
		return nil, notFound("this server has no payload codec (give the key file: --codec-keys)")
	}
	if err := access.UseCodec(c.p); err != nil {
		return nil, err
	}
	s.corsHeaders(c.w, c.r)
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxCodecBody))
	if err != nil {
		return nil, err
	}
	var in commonpb.Payloads
	if err := protojson.Unmarshal(body, &in); err != nil {
		return nil, badRequest("", "the body is not Temporal payloads in protobuf JSON ({\"payloads\": [{\"metadata\": {…}, \"data\": \"…\"}]}): %v", err)
	}
	code := s.codec.Decode
	if strings.HasSuffix(c.r.URL.Path, "/encode") {
		code = s.codec.Encode
	}
	out, err := code(in.Payloads)
	if err != nil {
		return nil, badRequest("payloads", "%v", err)
	}
	res := CodecPayloads{Payloads: make([]CodecPayload, len(out))}
	for i, p := range out {
		cp := CodecPayload{Data: base64.StdEncoding.EncodeToString(p.GetData())}
		if len(p.GetMetadata()) > 0 {
			cp.Metadata = make(map[string]string, len(p.Metadata))
			for k, v := range p.Metadata {
				cp.Metadata[k] = base64.StdEncoding.EncodeToString(v)
			}
		}
		res.Payloads[i] = cp
	}
	return res, nil
}

// codecPreflight answers the browser's CORS preflight of the codec
// endpoint.
func (s *Server) codecPreflight(c *call) (any, error) {
	if !s.corsHeaders(c.w, c.r) {
		return nil, errorf(http.StatusForbidden, CodeForbidden, "Origin", "origin %q may not call the codec endpoint (allowed: %v)",
			c.r.Header.Get("Origin"), s.codecOrigins)
	}
	c.w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	c.w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
	c.w.Header().Set("Access-Control-Max-Age", "600")
	c.w.WriteHeader(http.StatusNoContent)
	return nil, nil
}

// corsHeaders allows an origin of Options.CodecOrigins, reporting whether
// it did.
func (s *Server) corsHeaders(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(s.codecOrigins, origin) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	w.Header().Add("Vary", "Origin")
	return true
}
