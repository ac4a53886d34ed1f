//go:build integration

package openaicompat

import (
	"context"
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/llm-energy-lab/energylab/internal/provider"
	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// Run against a real OpenAI-compatible server with
//
//	go test -tags integration ./internal/provider/openaicompat/ -run Integration \
//	    -openaicompat.url http://localhost:8000/v1 -openaicompat.model NAME [-openaicompat.keyenv GROQ_API_KEY]
//
// The test is skipped when -openaicompat.url is not given or nothing
// answers there. The key is read from the named environment variable, never
// from the command line.
var (
	integrationURL    = flag.String("openaicompat.url", "", "API base URL, including /v1, for integration tests")
	integrationModel  = flag.String("openaicompat.model", "", "model for integration tests; empty means the first one listed")
	integrationKeyEnv = flag.String("openaicompat.keyenv", "", "environment variable holding the API key, if one is needed")
)

func TestIntegrationConformance(t *testing.T) {
	if *integrationURL == "" {
		t.Skip("no -openaicompat.url given")
	}
	cfg := Config{Name: "itest", BaseURL: *integrationURL, KeyEnv: *integrationKeyEnv}
	if cfg.KeyEnv != "" {
		cfg.APIKey = os.Getenv(cfg.KeyEnv)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	models, err := c.Models(context.Background())
	if errors.Is(err, provider.ErrUnavailable) {
		t.Skipf("server unavailable: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	model := *integrationModel
	if model == "" {
		if len(models) == 0 {
			t.Skip("the server lists no models")
		}
		model = models[0].Model
	}
	providertest.RunConformance(t, c, model)
}
