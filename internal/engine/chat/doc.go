// Package chat renders a conversation into the token ids a chat model
// evaluates, using the ChatML template of Qwen (and of the synthetic
// models): each message as <|im_start|>role\ncontent<|im_end|>\n, then the
// assistant header, then Qwen3's think-block convention. It renders straight
// to ids, so the chat markup is always special tokens and user text that
// happens to contain markup strings stays text.
//
// It imports tokenizer and the standard library. It must not import model,
// tensor, sampler or synth, nor anything about energy, providers or HTTP.
package chat
