// Package openaicompat is the provider.Provider for any server that speaks
// OpenAI's chat-completions API: OpenAI itself, Groq and other cloud APIs,
// and local vLLM, llama.cpp server, LM Studio or SGLang. It lists models with
// GET {base}/models and streams POST {base}/chat/completions as Server-Sent
// Events, asking for usage with stream_options.include_usage.
//
// The usage it reports is the server's own, from whichever place the server
// puts it: a top-level "usage" chunk (prompt_tokens, completion_tokens,
// prompt_tokens_details.cached_tokens,
// completion_tokens_details.reasoning_tokens), Groq's "x_groq.usage" (with
// prompt_time, completion_time and total_time in seconds), or llama.cpp
// server's "timings" (prompt_n, prompt_ms, predicted_n, predicted_ms,
// cache_n). Counts no source reports are -1. Reasoning text arrives as
// delta.reasoning_content (vLLM, DeepSeek), delta.reasoning (Groq,
// OpenRouter) or inline as <think>...</think> at the start of the content;
// all three become provider.Chunk.Thinking.
//
// The SSE reader is bounded (8 MiB per line and per event) and its parsers
// are pure functions with fuzz targets. A stream that ends before the server
// said it was done (neither a finish_reason nor [DONE]) is an error, never a
// short success.
//
// It imports internal/provider and the standard library only; it must not
// import energy, store, server, bench or any other adapter, and reads no
// environment variable (the caller passes the API key; Config.KeyEnv only
// names the variable in messages).
package openaicompat
