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
		`{"kind":"batch","runs":3,"warmup":0,"cooldown_ms":10,"model_name":"builtin/synthetic-tiny","user_prompt":"hi","seed":5,"sampling_seed":-2}`,
		`{"kind":"ablate","runs":2,"model_name":"builtin/synthetic-tiny","user_prompt":"hi","arms":[{"name":"a","system_prompt":"s"},{"conversation_context":"c"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		experimentDecoder := func(data []byte) (RunRequest, labels, error) {
			x, err := decodeExperiment(data)
			if err != nil {
				return RunRequest{}, labels{}, err
			}
			if x.Runs < 1 || x.Runs > MaxExperimentRuns || x.Warmup < 0 || x.Warmup > MaxExperimentWarmup || len(x.Arms) > MaxExperimentArms ||
				(x.Kind == ExperimentAblate) != (len(x.Arms) > 0) {
				t.Fatalf("accepted %+v", x)
			}
			for _, a := range x.Arms {
				n := len(x.Run.User) + len(a.System) + len(a.Context)
				for _, in := range a.Injections {
					n += len(in.Description) + len(in.Content)
				}
				if n > MaxPrompt || len(a.Injections) > MaxInjections || a.Name == "" || a.Name == "bare" {
					t.Fatalf("accepted arm %q of %d bytes and %d injections", a.Name, n, len(a.Injections))
				}
			}
			return x.Run, labels{}, nil
		}
		for _, decode := range []func([]byte) (RunRequest, labels, error){decodeEnergy, decodeBehaviour, experimentDecoder} {
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
