// Package loader opens a GGUF model file as everything the engine needs to
// run it: the weights bound to the file's memory mapping, the tokenizer built
// from its vocabulary, and the chat template detected from its template
// string. It is the one path every model takes, synthetic or downloaded.
//
// It imports the engine's packages only; nothing about energy or providers.
package loader
