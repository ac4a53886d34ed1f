// Package enginebench measures the embedded engine on a model of realistic
// size: prefill and decode speed, the bytes of weights a decoded token
// reads, the machine's memory bandwidth measured in the same process, the
// resulting decode efficiency, and peak resident memory against what the
// weights and KV cache need.
//
// It imports the engine's packages only.
package enginebench
