// Package ollama is the provider.Provider for Ollama's native API
// (ollama/ollama docs/api.md): it lists models with GET /api/tags, describes
// one with POST /api/show, loads one ahead of a measurement with an empty
// POST /api/chat, and streams chat completions from POST /api/chat as NDJSON,
// reporting Ollama's own token counts and timings (prompt_eval_count,
// eval_count, load/prompt-eval/eval/total durations) as provider.Usage.
//
// The request and response bodies are Ollama's own wire types from
// github.com/ollama/ollama/api (ChatRequest, ChatResponse, ShowResponse,
// ListResponse, StatusError), but the transport is this package's rather than
// api.Client, because the lab needs four things api.Client does not give:
//
//   - a bounded, fuzzed NDJSON reader: each line is capped (8 MiB) so a server
//     cannot make the lab allocate without bound, and the line parser is a
//     pure function with a fuzz target;
//   - a clear message, never raw HTML, when a proxy answers with an HTML
//     error page (a 502 from nginx, a captive portal);
//   - detection of a stream that ends before Ollama's done line, which must
//     be an error, never a short success (api.Client returns nil at EOF);
//   - no environment reads: api.ClientFromEnvironment reads OLLAMA_HOST, and
//     in this program only internal/config reads the environment. The caller
//     passes the base URL to New.
//
// It imports internal/provider, the standard library and
// github.com/ollama/ollama/api only; it must not import energy, store,
// server, bench or any other adapter.
package ollama
