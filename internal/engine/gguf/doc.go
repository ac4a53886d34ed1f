// Package gguf reads and writes GGUF files, the model format of ggml and
// llama.cpp, as specified in ggml's docs/gguf.md: a little-endian header
// (magic "GGUF", version, tensor and metadata counts), typed metadata
// key-value pairs (numbers, booleans, strings and possibly nested arrays),
// tensor infos (name, dimensions with the contiguous ne[0] first, ggml
// type, offset), and the tensor data, aligned to general.alignment bytes.
//
// Open memory-maps a file read-only (on unix; elsewhere it reads the file
// into memory) and Parse parses the bytes, so a multi-gigabyte model's
// weights are never copied: File.Data returns slices of the mapping.
// Metadata is copied into the Go heap, with one allocation for all the
// strings of a string array such as a 150,000-token vocabulary. Parse
// treats its input as hostile: a truncated or malformed file gives a
// *FormatError naming the offset and the key or tensor at fault, never a
// panic, and nothing is allocated for a count before the remaining bytes
// are checked to hold it. Parse reads versions 2 and 3, which share one
// layout.
//
// Writer writes version 3 files in one streaming pass, one tensor's data
// at a time, so a generator never holds a whole model in memory; Write is
// the one-call form for small files. A file that Writer writes parses back
// to the same metadata, tensor infos and data.
//
// It imports the standard library and engine/tensor (for tensor.DType, the
// ggml type numbers and block sizes) only. It must not import any other
// engine package (model, tokenizer, synth, ...), nor anything about
// energy, providers or HTTP.
package gguf
