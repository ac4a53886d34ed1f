// Package providertest helps test provider.Provider implementations: loopback
// httptest servers that follow a script of steps (write a line and flush,
// sleep, wait for the client to leave, cut the connection mid-body), canned
// scripts in Ollama's NDJSON and the OpenAI SSE wire formats that behave well
// or badly, and RunConformance, the contract every provider must meet.
//
// It is imported only by tests. It imports internal/provider, net/http,
// net/http/httptest and testing; it must not import production packages
// (the provider adapters, energy, store, server), so that every adapter's
// tests can use it without an import cycle.
package providertest
