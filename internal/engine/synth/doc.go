// Package synth makes synthetic models: named shapes (model configurations,
// including one with exactly Qwen3-0.6B's dimensions) and deterministic
// random weights generated from a seed. Their text is meaningless, but the
// compute and memory traffic of running them are those of a real model of
// the same shape, which is what the lab measures when no model is
// installed.
//
// It imports model, tensor and the standard library. It must not import
// tokenizer, sampler or chat (a synthetic model's tokenizer is
// tokenizer.NewSynthetic of its vocabulary size), nor anything about energy,
// providers or HTTP.
package synth
