// Package wire holds the small pieces of HTTP plumbing both streaming
// clients (ollama, openaicompat) need: a bounded line reader, recognising an
// HTML error page and its title, telling "nothing answered" from other
// transport errors, and quoting server text in one line.
//
// It imports only the standard library; it knows nothing of any provider's
// wire format.
package wire
