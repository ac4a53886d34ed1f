// Package experiment runs the lab's controlled experiments over a Runner
// that measures and stores one request: batches of repeats with their
// statistics, the middleware overhead study (bare against each middleware
// configuration, interleaved in random order), and the prefill/decode
// crossover sweep. It knows nothing of providers, meters or the store.
package experiment
