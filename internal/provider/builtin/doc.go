// Package builtin is the lab's embedded model provider: it serves the
// synthetic models of internal/engine/synth through the provider.Provider
// interface, running the pure-Go engine (internal/engine/...) in-process, so
// that the lab has a real inference workload to measure when nothing else is
// installed. The models' text is meaningless (random weights); their compute
// and memory traffic are those of real models of the same shape.
//
// It imports provider and the engine packages. It must not import energy,
// store, server or any other adapter; nothing but the composition root
// (internal/app) may import it.
package builtin
