package middleware

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/llm-energy-lab/energylab/internal/lab"
	"github.com/llm-energy-lab/energylab/internal/labtest"
	"github.com/llm-energy-lab/energylab/internal/provider"
)

func TestCompose(t *testing.T) {
	cases := []struct {
		name   string
		spec   Spec
		system string
		kinds  []Kind
	}{
		{"bare query", Spec{User: "hi"}, "", nil},
		{"system only", Spec{System: "Be brief.", User: "hi"}, "Be brief.", []Kind{KindSystem}},
		{
			"context is wrapped",
			Spec{System: "S", Context: "A: hello\nB: hi", User: "q"},
			"S\n\n<conversation_context>\nA: hello\nB: hi\n</conversation_context>",
			[]Kind{KindSystem, KindContext},
		},
		{
			"context already tagged is kept verbatim",
			Spec{Context: "<conversation_context>x</conversation_context>", User: "q"},
			"<conversation_context>x</conversation_context>",
			[]Kind{KindContext},
		},
		{
			"injections in order, blank ones dropped, unnamed ones labelled",
			Spec{System: "S", Injections: []lab.Injection{{Description: "memory", Content: "likes tea"}, {Content: "  "}, {Content: "tool result: 42"}}, User: "q"},
			"S\n\n---\n\n[memory]\nlikes tea\n\n---\n\n[injection 2]\ntool result: 42",
			[]Kind{KindSystem, KindInjection, KindInjection},
		},
		{
			"injection without system starts the message",
			Spec{Injections: []lab.Injection{{Description: "d", Content: "c"}}, User: "q"},
			"[d]\nc",
			[]Kind{KindInjection},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Compose(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got.System() != c.system {
				t.Errorf("system = %q, want %q", got.System(), c.system)
			}
			var kinds []Kind
			for _, p := range got.SystemParts {
				kinds = append(kinds, p.Kind)
			}
			if diff := cmp.Diff(c.kinds, kinds); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			want := []provider.Message{{Role: "user", Content: c.spec.User}}
			if c.system != "" {
				want = append([]provider.Message{{Role: "system", Content: c.system}}, want...)
			}
			if diff := cmp.Diff(want, got.Messages); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComposeRejectsEmptyQuery(t *testing.T) {
	for _, q := range []string{"", "  \n\t"} {
		if _, err := Compose(Spec{System: "S", User: q}); !errors.Is(err, ErrEmptyQuery) {
			t.Errorf("Compose(%q) err = %v, want ErrEmptyQuery", q, err)
		}
	}
}

// words counts space-separated words: a tokenizer simple enough to check by
// hand.
func words(s string) (int, error) { return len(strings.Fields(s)), nil }

func TestCountIsExactAndAddsUp(t *testing.T) {
	c, err := Compose(Spec{
		System:     "you are kind",                                      // 3
		Context:    "A said hi",                                         // tags glue to words: 5 fields
		Injections: []lab.Injection{{Description: "m", Content: "x y"}}, // "---", "[m]", "x", "y" = 4
		User:       "what is two plus two",                              // 5
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Count(c, 30, words)
	if err != nil {
		t.Fatal(err)
	}
	want := lab.Breakdown{Method: MethodCounted, System: 3, Context: 5, Injections: 4, User: 5, Template: 30 - 17, Middleware: 3 + 5 + 4 + 13}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Fatalf("breakdown (-want +got):\n%s", diff)
	}
	if _, err := Count(c, 10, words); err == nil {
		t.Fatal("a prompt count below the messages' own count was accepted")
	}
}

func TestEstimateFitsProviderCount(t *testing.T) {
	c, _ := Compose(Spec{System: strings.Repeat("a", 400), User: strings.Repeat("b", 40)}) // 100 + 10 estimated
	t.Run("room for template", func(t *testing.T) {
		b := Estimate(c, 130)
		if b.Method != MethodEstimated || b.System != 100 || b.User != 10 || b.Template != 20 || b.Middleware != 120 {
			t.Fatalf("got %+v", b)
		}
	})
	t.Run("estimates scaled down", func(t *testing.T) {
		b := Estimate(c, 55)
		if b.System+b.User+b.Template != 55 || b.Template != 0 || b.System != 50 || b.User != 5 {
			t.Fatalf("got %+v", b)
		}
	})
	t.Run("no provider count", func(t *testing.T) {
		b := Estimate(c, -1)
		if b.System != 100 || b.User != 10 || b.Template != 0 || !strings.Contains(b.Note, "no prompt count") {
			t.Fatalf("got %+v", b)
		}
	})
}

func TestSplitOutput(t *testing.T) {
	b := lab.Breakdown{Method: MethodCounted}
	SplitOutput(&b, 100, 30, 0, 0)
	if b.Thinking != 30 || b.Answer != 70 || b.Method != MethodCounted {
		t.Fatalf("exact: %+v", b)
	}
	b = lab.Breakdown{Method: MethodCounted}
	SplitOutput(&b, 100, -1, 25, 75)
	if b.Thinking != 25 || b.Answer != 75 || b.Method != MethodEstimated {
		t.Fatalf("by chunks: %+v", b)
	}
	b = lab.Breakdown{Method: MethodCounted}
	SplitOutput(&b, 12, -1, 0, 12)
	if b.Thinking != 0 || b.Answer != 12 || b.Method != MethodCounted {
		t.Fatalf("no thinking: %+v", b)
	}
}

// TestFrontierPromptsAsMiddleware composes the published frontier system
// prompts as middleware and checks the estimated split keeps every character
// accounted for: the system part dwarfs the query, as in real deployments.
func TestFrontierPromptsAsMiddleware(t *testing.T) {
	for _, p := range labtest.SystemPrompts(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compose(Spec{System: string(b), User: "What is the capital of France?"})
		if err != nil {
			t.Fatal(err)
		}
		if c.System() != string(b) {
			t.Fatalf("%s: system prompt altered", p)
		}
		bd := Estimate(c, -1)
		if bd.System < 2000 || bd.User > 10 || bd.Middleware < 200*bd.User {
			t.Errorf("%s: breakdown %+v: expected thousands of system tokens against a short query", p, bd)
		}
	}
}
