// Package model is the transformer of the builtin inference engine: the
// hyper-parameters of a decoder-only model (Config, with fields named after
// GGUF's metadata keys), its weights (Weights, tensors named as in GGUF), a
// KV cache sized for the tokens a request needs (binary16, head by head),
// and the forward pass —
// token embedding, RMSNorm, rotary position embedding, grouped-query causal
// attention over the KV cache, SwiGLU feed-forward, final norm and output
// head — for the "llama" and "qwen3" architectures.
//
// Prompts are evaluated as a batch (Session.Prefill), computing logits only
// for the last position; generated tokens are evaluated one at a time
// (Session.Decode). Both check their context between layers.
//
// It imports tensor and the standard library. It must not import the
// tokenizer, sampler, synth or chat packages, nor anything about energy,
// providers or HTTP: where weights come from (synthetic generation, a GGUF
// file) is the caller's business.
package model
