// Package tensor holds the numeric kernels of the builtin inference engine:
// weight matrices with a storage type (F32 first; GGML's quantised block
// types such as Q8_0 and Q4_K are meant to be added as further DType values),
// a worker pool sized by a thread count, and the parallel matrix×vector and
// batched matrix×matrix products, dot products, RMSNorm, softmax, SiLU and
// rotary position embeddings that a transformer forward pass is made of.
//
// Two kernel sets implement the products: AVX2/FMA assembly
// (kernels_amd64.s, chosen at start-up when CPUID and XGETBV say the CPU and
// OS support it) and portable Go (dot.go; the only set on other
// architectures, or with the build tag purego). The assembly is built by the
// Go toolchain, so CGO_ENABLED=0 builds keep it. Within a set, every output
// element of a matrix product is one dot product whose accumulation order is
// fixed, whichever kernel, batch size or thread count computes it; results
// are therefore bit-identical across thread counts and between batched
// prefill and token-by-token evaluation (though not between the two sets).
//
// It imports only the standard library. It must not import any other engine
// package (model, tokenizer, synth, ...), nor anything about energy,
// providers or HTTP.
package tensor
