// Package provider is the vocabulary every model provider speaks: a chat
// request, the chunks a stream delivers, the provider's own usage counts and
// timings, and the Provider interface. Adapters (builtin, ollama,
// openaicompat) import it; it imports only the standard library.
package provider
