// Package tokenizer turns text into token ids and back for the builtin
// inference engine.
//
// Tokenizer is the interface every tokenizer implements. New builds one
// from a Vocab, the tokenizer.ggml.* metadata of a GGUF file taken as a
// plain struct (the gguf package reads it; this package knows nothing of
// the file format):
//
//   - BPE, byte-level BPE (tokenizer.ggml.model "gpt2": Llama 3, Qwen2,
//     Qwen2.5, Qwen3, SmolLM), with the pre-tokenizers of Llama 3, Qwen2,
//     GPT-2 and SmolLM written out by hand, because their expressions use
//     look-ahead that Go's regexp lacks;
//   - SPM, SentencePiece BPE (model "llama": Llama 2, Mistral, TinyLlama),
//     merging by score with byte fallback.
//
// Both follow llama.cpp's tokenizers (src/llama-vocab.cpp), and through
// them Hugging Face tokenizers; the differences are documented on the
// types. Encode treats text literally: control tokens (<|im_start|>, <s>
// ...) are never produced from text, while user-defined tokens (Qwen3's
// <think>) are matched whole as the reference tokenizers do. EncodeWithSpecials
// parses special-token strings, for template text. Neither adds BOS or
// EOS; the chat package's templates do, following add_bos_token.
//
// StreamDecoder turns generated ids into text piece by piece, holding back
// a UTF-8 character split across byte tokens until it is complete and
// hiding control tokens. Synthetic is the deterministic greedy tokenizer of
// the lab's synthetic models, and SyntheticVocab a byte-level BPE
// vocabulary built from the same pieces, for synthetic models written as
// GGUF files with real tokenizer metadata.
//
// It imports only the standard library. It must not import the gguf, model,
// tensor, sampler or synth packages, nor anything about energy, providers
// or HTTP.
package tokenizer
