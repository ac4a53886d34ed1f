// Package tensor holds the numeric kernels of the builtin inference engine:
// weight matrices with a storage type, the storage types themselves (F32,
// F16, BF16 and GGML's block-quantised Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
// IQ4_NL, Q4_K, Q5_K, Q6_K and Q8_K, with their binary16/bfloat16
// conversions, dequantisers and quantisers), a worker pool sized by a
// thread count, and the parallel matrix×vector and batched matrix×matrix
// products, dot products, RMSNorm, softmax, SiLU and rotary position
// embeddings that a transformer forward pass is made of, with attention's
// dot products and weighted sums over a binary16 KV cache (halfrows.go).
// Softmax's and SwiGLU's exponentials have an AVX2 version that gives
// Exp32's results bit for bit. The block layouts
// of the other types a GGUF file may name (Q2_K, Q3_K, the other IQ types,
// TQ1_0, TQ2_0, MXFP4, the integer types, F64) are known, so that a file
// can be sized and checked, but there are no kernels for them. Q4_1, Q5_0,
// Q5_1 and IQ4_NL are the types llama.cpp's quantiser falls back to for
// rows that are not a multiple of 256 elements (Qwen2.5-0.5B's 896-wide
// and SmolLM2's 576- and 960-wide projections).
//
// Quantised weights stay quantised: a Matrix holds the blocks exactly as a
// GGUF file stores them (possibly a memory-mapped file's bytes) and the
// products read them in place. Decoding a token is bound by memory
// bandwidth, so the bytes of weights read per token are what matter. As in
// ggml, a product with block weights first quantises the activation vector
// to 8-bit blocks (once per call, before the rows are shared out, with the
// activation sums the offset types need) and then computes each row's dot
// product with integer arithmetic per block (qdot.go); F16 and BF16 rows
// are converted to float32 on the fly. A block-type matrix×vector product
// gives each worker one long run of rows, streamed as two sequential runs
// of memory at once, rather than many short work items: the hardware
// prefetchers only reach full speed some way into a stream (see run in
// matmul.go).
//
// Two kernel sets implement the products: AVX2/FMA/F16C assembly
// (kernels_amd64.s for float32, kernels_quant_amd64.s for the other types,
// chosen at start-up when CPUID and XGETBV say the CPU and OS support it)
// and portable Go (dot.go, qdot.go; the only set on other architectures, or
// with the build tag purego). The assembly is built by the Go toolchain, so
// CGO_ENABLED=0 builds keep it. Within a set, every output element of a
// matrix product is one dot product whose accumulation order is fixed,
// whichever kernel, batch size or thread count computes it; results are
// therefore bit-identical across thread counts and between batched prefill
// and token-by-token evaluation. For the block types the two sets agree bit
// for bit as well (the integer sums are exact and the Go kernels reproduce
// the assembly's float32 order); for F32, F16 and BF16 they differ in
// rounding, as the assembly uses fused multiply-adds in another order.
//
// It imports only the standard library. It must not import any other engine
// package (model, tokenizer, synth, ...), nor anything about energy,
// providers or HTTP.
package tensor
