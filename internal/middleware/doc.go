// Package middleware composes the invisible part of a request — a base
// system prompt, a conversation context, free-form injections — around the
// user's query, and splits the prompt's tokens by where they came from.
//
// It is pure: no I/O, no clocks, no providers. It imports only the lab and
// provider vocabularies.
package middleware
