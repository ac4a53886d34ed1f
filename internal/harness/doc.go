// Package harness measures one request: it takes (or reuses) an idle
// baseline, snapshots the meter when the request is sent, at the first token
// and after the last, polls it in between, streams the provider's chunks to
// the caller, and turns what it saw into the run record's energy, e-tokens,
// timing, carbon and quality flags.
//
// Experiments (batches, ablations, sweeps) are loops over Run; there is no
// second way of measuring. The harness imports vocabularies (energy,
// provider, lab), the sampler and the pure formula packages; never a store,
// a server or a concrete adapter.
package harness
