package model

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/llm-energy-lab/energylab/internal/engine/tensor"
)

// DefaultPrefillBatch is the number of prompt tokens a Session evaluates per
// forward pass: each weight matrix is read once per batch. 64 keeps a
// batch's activations (64 × 3,072 float32 = 768 KiB for Qwen3-0.6B's
// feed-forward) small.
const DefaultPrefillBatch = 64

// Model is a configuration with its weights. A Model is read-only once made
// and may serve any number of Sessions concurrently.
type Model struct {
	config  Config
	weights *Weights
}

// New checks that w holds every tensor c names, with the right shapes, and
// returns the model.
func New(c Config, w *Weights) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := w.Tensors(c); err != nil {
		return nil, fmt.Errorf("weights do not fit the %s config: %w", c.Architecture, err)
	}
	if w.RopeFreqs != nil && len(w.RopeFreqs) != c.HeadDim()/2 {
		return nil, fmt.Errorf("rope_freqs.weight has %d factors, want head dimension / 2 = %d", len(w.RopeFreqs), c.HeadDim()/2)
	}
	return &Model{config: c, weights: w}, nil
}

// Config returns the model's hyper-parameters.
func (m *Model) Config() Config { return m.config }

// Weights returns the model's weights; callers must not modify them.
func (m *Model) Weights() *Weights { return m.weights }

// output returns the output head: output.weight, or token_embd.weight when
// the embeddings are tied.
func (m *Model) output() *tensor.Matrix {
	if m.weights.Output != nil {
		return m.weights.Output
	}
	return m.weights.TokenEmbedding
}

// Session is one sequence being evaluated: its KV cache, its position and
// its scratch memory. A Session is not safe for concurrent use; run one per
// request.
type Session struct {
	m        *Model
	pool     *tensor.Pool
	capacity int
	batch    int
	pos      int

	// KV cache: per layer, keys in k and values in v, as binary16 (the
	// default of llama.cpp and Ollama: half the memory, and half the bytes
	// attention reads per decoded token, of float32), head-major: for each
	// KV head g, capacity positions of HeadDim values, so that position p
	// of head g of layer l starts at k[l][(g*capacity+p)*HeadDim]. One
	// head's cached keys are one contiguous run of memory that the
	// hardware prefetchers can follow; with position-major rows, KVDim
	// apart, each head read 512 bytes of every 4 KiB, and attention took
	// about 40% longer per decoded token (Qwen3-0.6B shape, two cores).
	k, v [][]uint16

	// Scratch for a batch of up to batch tokens, row-major by token.
	x, xn, q, kb, vb, att, proj, gate, up []float32
	cos, sin                              []float32 // batch × HeadDim/2
	scores                                [][]float32
	logits                                []float32

	prof *DecodeProfile // nil: no timing
}

// DecodeProfile accumulates where a session's decoded tokens spend their
// time (SetProfile): the weight products (each with its activation
// quantisation), attention (writing the KV cache, the scores, softmax and
// the weighted sum of the cached values), and the rest (embedding lookup,
// norms, rotary embedding, SwiGLU, residual additions). Only single-token
// forward passes (Decode) are counted. The timing itself is two clock reads
// per phase, about 300 per token of a 28-layer model.
type DecodeProfile struct {
	Tokens                           int
	Total, WeightProducts, Attention time.Duration
}

// Other returns the time that is neither weight products nor attention.
func (p DecodeProfile) Other() time.Duration { return p.Total - p.WeightProducts - p.Attention }

// SetProfile makes the session add the timing of each decoded token to p
// (nil stops it).
func (s *Session) SetProfile(p *DecodeProfile) { s.prof = p }

// stopwatch times phases into a DecodeProfile when on, and does nothing
// otherwise.
type stopwatch struct {
	on bool
	t  time.Time
}

func (w *stopwatch) start() {
	if w.on {
		w.t = time.Now()
	}
}

func (w *stopwatch) stop(d *time.Duration) {
	if w.on {
		*d += time.Since(w.t)
	}
}

// NewSession returns a session whose KV cache holds capacity tokens (prompt
// plus generated tokens: allocate what the request needs, not the model's
// whole context), computing with pool's threads.
func (m *Model) NewSession(pool *tensor.Pool, capacity int) (*Session, error) {
	c := m.config
	if capacity <= 0 || capacity > c.ContextLength {
		return nil, fmt.Errorf("session capacity %d outside the model's context of 1..%d tokens", capacity, c.ContextLength)
	}
	s := &Session{m: m, pool: pool, capacity: capacity}
	s.k = make([][]uint16, c.BlockCount)
	s.v = make([][]uint16, c.BlockCount)
	for l := range c.BlockCount {
		s.k[l] = make([]uint16, capacity*c.KVDim())
		s.v[l] = make([]uint16, capacity*c.KVDim())
	}
	s.setBatch(min(DefaultPrefillBatch, capacity))
	s.scores = make([][]float32, pool.Threads())
	for i := range s.scores {
		s.scores[i] = make([]float32, capacity)
	}
	s.logits = make([]float32, c.VocabSize)
	return s, nil
}

func (s *Session) setBatch(b int) {
	c := s.m.config
	s.batch = b
	s.x = make([]float32, b*c.EmbeddingLength)
	s.xn = make([]float32, b*c.EmbeddingLength)
	s.proj = make([]float32, b*c.EmbeddingLength)
	s.q = make([]float32, b*c.QueryDim())
	s.att = make([]float32, b*c.QueryDim())
	s.kb = make([]float32, b*c.KVDim())
	s.vb = make([]float32, b*c.KVDim())
	s.gate = make([]float32, b*c.FeedForwardLength)
	s.up = make([]float32, b*c.FeedForwardLength)
	s.cos = make([]float32, b*c.HeadDim()/2)
	s.sin = make([]float32, b*c.HeadDim()/2)
}

// SetPrefillBatch sets the number of prompt tokens evaluated per forward
// pass (DefaultPrefillBatch by default); 1 evaluates a prompt token by
// token.
func (s *Session) SetPrefillBatch(n int) {
	if n < 1 {
		n = 1
	}
	s.setBatch(min(n, s.capacity))
}

// Pos returns the number of tokens in the KV cache: the position the next
// token will take.
func (s *Session) Pos() int { return s.pos }

// Capacity returns the number of tokens the KV cache holds.
func (s *Session) Capacity() int { return s.capacity }

// Reset empties the KV cache so that the session can evaluate a new
// sequence.
func (s *Session) Reset() { s.pos = 0 }

// Truncate forgets every token from position n on, so that the session
// continues as if only the first n had been evaluated (the KV cache of
// positions before n is kept). n must not exceed Pos.
func (s *Session) Truncate(n int) {
	if n < 0 || n > s.pos {
		panic(fmt.Sprintf("model: truncate a session of %d tokens to %d", s.pos, n))
	}
	s.pos = n
}

// Prefill evaluates tokens at the next positions, in batches, and returns
// the logits (VocabSize elements) of the last one only. The returned slice
// is owned by the session and overwritten by its next call. When ctx is
// cancelled, Prefill returns ctx.Err() at the next layer boundary; Pos then
// counts the tokens of the batches completed before it.
func (s *Session) Prefill(ctx context.Context, tokens []int) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("prefill of no tokens")
	}
	if s.pos+len(tokens) > s.capacity {
		return nil, fmt.Errorf("%d tokens at position %d overflow the KV cache of %d tokens", len(tokens), s.pos, s.capacity)
	}
	for _, t := range tokens {
		if t < 0 || t >= s.m.config.VocabSize {
			return nil, fmt.Errorf("token id %d outside the vocabulary of %d", t, s.m.config.VocabSize)
		}
	}
	for i := 0; i < len(tokens); i += s.batch {
		last := i+s.batch >= len(tokens)
		if err := s.forward(ctx, tokens[i:min(i+s.batch, len(tokens))], last); err != nil {
			return nil, err
		}
	}
	return s.logits, nil
}

// Decode evaluates one token at the next position and returns its logits,
// owned by the session like Prefill's.
func (s *Session) Decode(ctx context.Context, token int) ([]float32, error) {
	return s.Prefill(ctx, []int{token})
}

// forward evaluates a batch of tokens at positions s.pos.. and, when
// logits is true, computes the logits of the batch's last token.
func (s *Session) forward(ctx context.Context, tokens []int, logits bool) error {
	c := s.m.config
	w := s.m.weights
	n := len(tokens)
	emb, qd, kvd, hd, ff := c.EmbeddingLength, c.QueryDim(), c.KVDim(), c.HeadDim(), c.FeedForwardLength
	eps := float32(c.RMSEpsilon)
	p := s.pool
	pos0 := s.pos
	sw := stopwatch{on: s.prof != nil && n == 1}
	var ph DecodeProfile
	sw.start()
	begin := sw.t

	if err := ctx.Err(); err != nil {
		return err
	}
	x := s.x[:n*emb]
	for t, id := range tokens {
		w.TokenEmbedding.Row(id, x[t*emb:(t+1)*emb])
	}
	half := hd / 2
	cos, sin := s.cos[:n*half], s.sin[:n*half]
	for t := range n {
		ropeAngles(cos[t*half:(t+1)*half], sin[t*half:(t+1)*half], pos0+t, c.RopeFreqBase, hd, w.RopeFreqs)
	}
	rope := tensor.RopeNeoX
	if c.RopeStyle == RopeInterleaved {
		rope = tensor.RopeInterleaved
	}

	xn, q, kb, vb := s.xn[:n*emb], s.q[:n*qd], s.kb[:n*kvd], s.vb[:n*kvd]
	att, proj, gate, up := s.att[:n*qd], s.proj[:n*emb], s.gate[:n*ff], s.up[:n*ff]
	for l := range c.BlockCount {
		if err := ctx.Err(); err != nil {
			return err
		}
		L := &w.Layers[l]

		// Attention.
		for t := range n {
			tensor.RMSNorm(xn[t*emb:(t+1)*emb], x[t*emb:(t+1)*emb], L.AttnNorm, eps)
		}
		sw.start()
		if n == 1 {
			tensor.MatVecMulti(p, [][]float32{q, kb, vb}, []*tensor.Matrix{L.Q, L.K, L.V}, xn)
		} else {
			tensor.MatMul(p, q, L.Q, xn, n)
			tensor.MatMul(p, kb, L.K, xn, n)
			tensor.MatMul(p, vb, L.V, xn, n)
		}
		sw.stop(&ph.WeightProducts)
		if c.QKVBias {
			for t := range n {
				tensor.Add(q[t*qd:(t+1)*qd], L.QBias)
				tensor.Add(kb[t*kvd:(t+1)*kvd], L.KBias)
				tensor.Add(vb[t*kvd:(t+1)*kvd], L.VBias)
			}
		}
		for t := range n {
			qt, kt := q[t*qd:(t+1)*qd], kb[t*kvd:(t+1)*kvd]
			if c.QKNorm {
				for h := 0; h < qd; h += hd {
					tensor.RMSNorm(qt[h:h+hd], qt[h:h+hd], L.QNorm, eps)
				}
				for h := 0; h < kvd; h += hd {
					tensor.RMSNorm(kt[h:h+hd], kt[h:h+hd], L.KNorm, eps)
				}
			}
			ct, st := cos[t*half:(t+1)*half], sin[t*half:(t+1)*half]
			rope(qt, hd, ct, st)
			rope(kt, hd, ct, st)
		}
		sw.start()
		s.store(l, kb, vb, n, pos0)
		s.attention(l, q, att, n, pos0)
		sw.stop(&ph.Attention)
		sw.start()
		tensor.MatMul(p, proj, L.Output, att, n)
		sw.stop(&ph.WeightProducts)
		tensor.Add(x, proj)

		// Feed-forward.
		for t := range n {
			tensor.RMSNorm(xn[t*emb:(t+1)*emb], x[t*emb:(t+1)*emb], L.FFNNorm, eps)
		}
		sw.start()
		if n == 1 {
			tensor.MatVecMulti(p, [][]float32{gate, up}, []*tensor.Matrix{L.Gate, L.Up}, xn)
		} else {
			tensor.MatMul(p, gate, L.Gate, xn, n)
			tensor.MatMul(p, up, L.Up, xn, n)
		}
		sw.stop(&ph.WeightProducts)
		// SwiGLU is shared out too (with its AVX2 exponentials, about
		// 0.1 ms per decoded token of Qwen3-0.6B on two cores).
		p.For(len(gate), 1024, func(_, lo, hi int) { tensor.SwiGLU(gate[lo:hi], up[lo:hi]) })
		sw.start()
		tensor.MatMul(p, proj, L.Down, gate, n)
		sw.stop(&ph.WeightProducts)
		tensor.Add(x, proj)
	}
	s.pos += n
	if logits {
		last := xn[:emb]
		tensor.RMSNorm(last, x[(n-1)*emb:n*emb], w.OutputNorm, eps)
		sw.start()
		tensor.MatVec(p, s.logits, s.m.output(), last)
		sw.stop(&ph.WeightProducts)
	}
	if sw.on {
		s.prof.Tokens++
		s.prof.Total += time.Since(begin)
		s.prof.WeightProducts += ph.WeightProducts
		s.prof.Attention += ph.Attention
	}
	return nil
}

// store writes the keys kb and values vb of n tokens (row-major by token,
// KVDim each) into layer l's cache at positions pos0 to pos0+n-1, rounded
// to binary16.
func (s *Session) store(l int, kb, vb []float32, n, pos0 int) {
	c := s.m.config
	hd, kvd := c.HeadDim(), c.KVDim()
	for g := range c.HeadCountKV {
		at := (g*s.capacity + pos0) * hd
		for t := range n {
			src := t*kvd + g*hd
			tensor.Float32sToF16(s.k[l][at+t*hd:at+(t+1)*hd], kb[src:src+hd])
			tensor.Float32sToF16(s.v[l][at+t*hd:at+(t+1)*hd], vb[src:src+hd])
		}
	}
}

// attention computes causal grouped-query attention for n query tokens at
// positions pos0.. against layer l's KV cache, which already holds their
// keys and values: query head h reads KV head h/(HeadCount/HeadCountKV), and
// token t attends to positions 0..pos0+t. Scores are scaled by
// 1/sqrt(HeadDim). Each (token, head) pair is independent, so the pairs are
// split across the pool's workers.
func (s *Session) attention(l int, q, out []float32, n, pos0 int) {
	c := s.m.config
	hd, qd := c.HeadDim(), c.QueryDim()
	group := c.HeadCount / c.HeadCountKV
	scale := float32(1 / math.Sqrt(float64(hd)))
	keys, values := s.k[l], s.v[l]
	// Items run head-major (all tokens of head 0, then head 1 ...) in
	// ranges of several tokens, so that a worker reads one head's cached
	// keys and values again and again while they are in its cache, rather
	// than every head's for each token: at long prompts the KV cache of a
	// layer is far larger than a core's cache.
	//
	// A decoded token's query heads that share a KV head go to the same
	// worker, one after the other (as long as that leaves every worker
	// some heads), so that the second reads that head's keys and values
	// from the cache the first brought them into.
	grain := max(1, n/(2*s.pool.Threads()))
	if n == 1 {
		grain = max(1, min(group, c.HeadCount/s.pool.Threads()))
	}
	s.pool.For(n*c.HeadCount, grain, func(worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			h, t := i/n, i%n
			kvOff := (h / group) * s.capacity * hd
			qh := q[t*qd+h*hd : t*qd+(h+1)*hd]
			span := pos0 + t + 1
			sc := s.scores[worker][:span]
			tensor.DotRowsF16(sc, qh, keys[kvOff:], hd)
			for j := range sc {
				sc[j] *= scale
			}
			tensor.Softmax(sc)
			o := out[t*qd+h*hd : t*qd+(h+1)*hd]
			clear(o)
			tensor.AxpyRowsF16(o, values[kvOff:], hd, sc)
		}
	})
}

// ropeAngles writes the rotation of position pos for each of the dims/2
// frequency pairs: θ_i = pos · base^(-2i/dims) / factors[i], the factors
// (rope_freqs.weight) being 1 when absent. The angles are computed in
// float64.
func ropeAngles(cos, sin []float32, pos int, base float64, dims int, factors []float32) {
	if factors == nil {
		tensor.RopeAngles(cos, sin, pos, base, dims)
		return
	}
	for i := range dims / 2 {
		theta := float64(pos) * math.Pow(base, -2*float64(i)/float64(dims)) / float64(factors[i])
		s, c := math.Sincos(theta)
		cos[i], sin[i] = float32(c), float32(s)
	}
}
