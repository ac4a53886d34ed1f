package ollama

import (
	"testing"

	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// TestConformance runs the provider contract against a fake Ollama that
// speaks the real wire format.
func TestConformance(t *testing.T) {
	c, _ := newTestClient(t, fakeOllama(t, providertest.OllamaStream()))
	providertest.RunConformance(t, c, fakeModel)
}

// TestConformanceThinking runs it again with a thinking model's stream.
func TestConformanceThinking(t *testing.T) {
	c, _ := newTestClient(t, fakeOllama(t, providertest.OllamaThinkingStream()))
	providertest.RunConformance(t, c, fakeModel)
}
