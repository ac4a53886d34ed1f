//go:build integration

package ollama

import (
	"context"
	"errors"
	"flag"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// Run against a real Ollama with
//
//	go test -tags integration ./internal/provider/ollama/ -run Integration -ollama.url http://localhost:11434 -ollama.model llama3.2:1b
//
// The test is skipped when nothing answers at the URL.
var (
	integrationURL   = flag.String("ollama.url", DefaultBaseURL, "Ollama base URL for integration tests")
	integrationModel = flag.String("ollama.model", "", "model for integration tests; empty means the first one /api/tags lists")
)

func TestIntegrationConformance(t *testing.T) {
	c, err := New(*integrationURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	models, err := c.Models(context.Background())
	if errors.Is(err, provider.ErrUnavailable) {
		t.Skipf("no Ollama: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	model := *integrationModel
	if model == "" {
		if len(models) == 0 {
			t.Skip("Ollama has no models; pull one with `ollama pull llama3.2:1b`")
		}
		model = models[0].Model
	}
	if err := c.Prepare(context.Background(), model, provider.Options{}); err != nil {
		t.Fatalf("Prepare(%q): %v", model, err)
	}
	providertest.RunConformance(t, c, model)
}
