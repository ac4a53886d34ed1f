// Package etokens holds the lab's formulas: energy-weighted tokens
// (e-tokens), per-phase intensities, joules per token, and the latency
// statistics of a stream. Every function is pure and each formula has a
// worked example in the tests and the README.
//
// It imports only the energy and lab vocabularies.
package etokens
