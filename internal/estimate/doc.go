// Package estimate is the lab's vocabulary for published and user-defined
// energy benchmarks: families of rows that turn a request's token counts
// into an energy estimate, each explicit about what it measured, on what
// hardware, and how.
//
// A Family is one source (the Hugging Face AI Energy Score "aes", Jegham et
// al. 2025 "jegham", the ML.ENERGY Leaderboard v3 "mlenergy", user-defined
// "custom", and "calibrated" rows fitted from the user's own runs). Each
// carries its source, version, Boundary (GPU only, node × PUE modelled, CPU
// package + DRAM measured here, or modelled CPU time here), hardware and a
// Method text. A Row is one model of a family with three coefficients,
//
//	E (Wh) = FixedWh + InputWhPerToken × input + OutputWhPerToken × output,
//
// and Row.Estimate is the one function that applies them, returning an
// Estimate that carries the family, row, boundary, PUE flag, uncertainty
// band and a one-line method, ready to sit beside a measurement.
//
// The three built-in families read the same two numbers very differently,
// which is why each says how: the AI Energy Score amortises a whole query
// over its input tokens (output does not enter), ML.ENERGY amortises it over
// output tokens (input does not enter), and Jegham's table is fitted per
// model with a fixed, an input and an output term. This replaces the
// predecessor's single "Wh per 1,000 tokens" number, whose meaning changed
// with the code reading it.
//
// Family.Match maps a lab model name ("ollama/llama3.1:8b",
// "groq/llama-3.1-8b-instant", "openai/gpt-4o") to a row with a graded
// Quality and an explanation, or fails with ErrNoMatch listing the closest
// rows; it never substitutes silently.
//
// The built-in figures live in families.json, generated from shared/data by
// ./gen (see the go:generate line in families.go) and embedded.
//
// The package imports only internal/energy and the standard library; it
// must not import meters, providers, storage or anything with I/O beyond
// its embedded data.
package estimate
