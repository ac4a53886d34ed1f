package openaicompat

import (
	"testing"

	"github.com/llm-energy-lab/energylab/internal/provider/providertest"
)

// TestConformance runs the provider contract against fake servers that
// speak the real wire formats of OpenAI, Groq, llama.cpp and a model that
// thinks inline.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		chat providertest.Script
	}{
		{"OpenAI usage chunk", providertest.OpenAIStream()},
		{"Groq x_groq usage", providertest.GroqStream()},
		{"llama.cpp timings", providertest.LlamaCppStream()},
		{"reasoning_content", providertest.OpenAIReasoningStream()},
		{"think tags", providertest.ThinkTagStream()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, fakeAPI(t, tc.chat), Config{Name: "groq", APIKey: "gsk_test", KeyEnv: "GROQ_API_KEY", Remote: true})
			providertest.RunConformance(t, c, fakeModel)
		})
	}
}
