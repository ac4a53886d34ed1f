// Package tokenizer turns text into token ids and back for the builtin
// inference engine. Tokenizer is the interface a model's tokenizer
// implements (byte-level BPE and SentencePiece ones read from GGUF are meant
// to be added beside the synthetic one); StreamDecoder turns generated ids
// into text piece by piece, holding back a UTF-8 character split across byte
// tokens until it is complete. Synthetic is the deterministic vocabulary of
// the lab's synthetic models.
//
// It imports only the standard library. It must not import the model,
// tensor, sampler or synth packages, nor anything about energy, providers or
// HTTP.
package tokenizer
