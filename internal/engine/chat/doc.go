// Package chat renders a conversation into the token ids a chat model
// evaluates. It implements the common chat template families directly,
// with no Jinja interpreter: ChatML (Qwen2, Qwen2.5 with its default system
// message, Qwen3 with its think switch, SmolLM, and the synthetic models),
// Llama 3 (with Llama 3.1+'s knowledge-date system header), Llama 2
// [INST] <<SYS>>, Mistral [INST] and Zephyr (TinyLlama). Parse and Detect
// tell the family from a GGUF file's tokenizer.chat_template by its
// markers, or from general.architecture when there is none; an unknown
// template is an error wrapping ErrUnsupported.
//
// A Template renders straight to ids, so chat markup is always special
// tokens and message text that happens to contain markup strings stays
// text. It adds BOS as the model's template and add_bos_token require, and
// says which ids end the assistant's turn.
//
// It imports tokenizer and the standard library. It must not import gguf,
// model, tensor, sampler or synth, nor anything about energy, providers or
// HTTP.
package chat
