package web

import (
	"strings"
	"testing"
)

// FuzzDecodePayloads feeds arbitrary frames to both sockets' decoders: they
// never panic, and what they accept names a lab provider and fits the limits.
func FuzzDecodePayloads(f *testing.F) {
	for _, s := range []string{
		`{"model_name":"builtin/synthetic-tiny","user_prompt":"hi"}`,
		`{"model_name":"llama3","provider":"local","system":"s","user":"u","injections":[{"description":"d","content":"c"}]}`,
		`{"model_name":"x","provider":"cloud","temp":0.5,"max_tokens":10,"seed":-1,"energy_benchmark":"aes"}`,
		`{"system":"s","user":"u","template":"","model_name":"ollama/a:b","measure":false,"stop":[]}`,
		`{"command":"cancel"}`, `[]`, `{`, `{"model_name":null}`, `{"injections":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) (RunRequest, labels, error){decodeEnergy, decodeBehaviour} {
			req, _, err := decode(data)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error of type %T: %v", err, err)
				}
				continue
			}
			ok := false
			for _, p := range knownProviders {
				if strings.HasPrefix(req.Model, p) && len(req.Model) > len(p) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("accepted model %q", req.Model)
			}
			n := len(req.System) + len(req.User) + len(req.Context)
			for _, in := range req.Injections {
				n += len(in.Description) + len(in.Content)
			}
			if n > MaxPrompt || len(req.Injections) > MaxInjections {
				t.Fatalf("accepted %d bytes and %d injections", n, len(req.Injections))
			}
		}
	})
}
