// Package sampler picks the next token from a model's logits: greedily
// (temperature 0) or by temperature and nucleus (top-p) sampling from a
// seeded PCG generator, so that a given seed always gives the same tokens.
//
// It imports only the standard library. It must not import the other engine
// packages, nor anything about energy, providers or HTTP.
package sampler
