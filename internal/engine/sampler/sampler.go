package sampler

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Sampler draws token ids from logits. It is not safe for concurrent use;
// use one per sequence.
type Sampler struct {
	temperature float64
	topP        float64
	rng         *rand.Rand
	probs       []float64
	keys        []uint64
	mass        []float64
	ids         []int
}

// New returns a sampler. temperature <= 0 picks the most likely token
// (greedy; ties go to the lowest id) and uses no randomness. Otherwise
// logits are divided by temperature and softmaxed, and when 0 < topP < 1
// the draw is restricted to the nucleus: the most likely tokens whose
// probabilities first reach topP together (Holtzman et al. 2019, "The
// Curious Case of Neural Text Degeneration"). topP <= 0 or >= 1 samples from
// the whole distribution. seed seeds a PCG generator (math/rand/v2), so the
// same seed and logits give the same tokens.
func New(temperature, topP float64, seed uint64) *Sampler {
	return &Sampler{
		temperature: temperature,
		topP:        topP,
		rng:         rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
	}
}

// Sample returns the id of the token drawn from logits.
func (s *Sampler) Sample(logits []float32) int {
	if len(logits) == 0 {
		return -1
	}
	if s.temperature <= 0 || math.IsNaN(s.temperature) {
		return argmax(logits)
	}
	// Softmax of logits/temperature in float64.
	m := logits[0]
	for _, v := range logits {
		if v > m {
			m = v
		}
	}
	if cap(s.probs) < len(logits) {
		s.probs = make([]float64, len(logits))
	}
	p := s.probs[:len(logits)]
	var sum float64
	for i, v := range logits {
		e := math.Exp(float64(v-m) / s.temperature)
		p[i] = e
		sum += e
	}
	for i := range p {
		p[i] /= sum
	}
	if s.topP <= 0 || s.topP >= 1 {
		u := s.rng.Float64()
		var c float64
		for i, pi := range p {
			c += pi
			if u < c {
				return i
			}
		}
		return len(p) - 1
	}
	return s.nucleus(p)
}

// bucketBits is the number of high bits of a probability's float32
// representation that nucleus uses to bucket tokens: sign, exponent and 7
// mantissa bits, 128 buckets per power of two.
const bucketBits = 16

// smallVocab is the vocabulary size below which sorting every token is
// cheaper than clearing nucleus's 65,536 buckets.
const smallVocab = 8192

// nucleus draws from the smallest set of most likely tokens whose
// probabilities sum to at least topP. Sorting all of a 151,936-token
// vocabulary per token would cost tens of milliseconds, so tokens are
// bucketed by the high bits of their float32 probability (whose bit patterns
// order like the values for non-negative floats); only the bucket where the
// cumulative mass crosses topP is sorted, by descending probability and then
// ascending id. The draw walks the nucleus in a fixed order (more likely
// buckets first, ids ascending within them), so it is deterministic for a
// seed.
func (s *Sampler) nucleus(p []float64) int {
	if cap(s.keys) < len(p) {
		s.keys = make([]uint64, len(p))
	}
	keys := s.keys[:len(p)]
	if len(p) < smallVocab {
		return s.nucleusSorted(p, keys)
	}
	if s.mass == nil {
		s.mass = make([]float64, 1<<bucketBits)
	}
	clear(s.mass)
	for i, pi := range p {
		// Ascending key: descending probability, then ascending id.
		k := ^math.Float32bits(float32(pi))
		keys[i] = uint64(k)<<32 | uint64(i)
		s.mass[k>>(32-bucketBits)] += pi
	}
	var cum float64
	boundary := len(s.mass) - 1
	for b, m := range s.mass {
		if cum+m >= s.topP {
			boundary = b
			break
		}
		cum += m
	}
	// Tokens of the buckets above the boundary are all in the nucleus, in
	// id order; the boundary bucket's are sorted and taken until the mass
	// reaches topP.
	nuc := s.ids[:0]
	var edge []uint64
	for _, k := range keys {
		switch b := int(k >> (64 - bucketBits)); {
		case b < boundary:
			nuc = append(nuc, int(k&0xffffffff))
		case b == boundary:
			edge = append(edge, k)
		}
	}
	slices.Sort(edge)
	for _, k := range edge {
		id := int(k & 0xffffffff)
		nuc = append(nuc, id)
		cum += p[id]
		if cum >= s.topP {
			break
		}
	}
	s.ids = nuc
	var mass float64
	for _, id := range nuc {
		mass += p[id]
	}
	u := s.rng.Float64() * mass
	var c float64
	for _, id := range nuc {
		c += p[id]
		if u < c {
			return id
		}
	}
	return nuc[len(nuc)-1]
}

// nucleusSorted is nucleus for small vocabularies: it sorts every token by
// descending probability, then ascending id, and walks that order.
func (s *Sampler) nucleusSorted(p []float64, keys []uint64) int {
	for i, pi := range p {
		keys[i] = uint64(^math.Float32bits(float32(pi)))<<32 | uint64(i)
	}
	slices.Sort(keys)
	var mass float64
	n := 0
	for n < len(keys) {
		mass += p[keys[n]&0xffffffff]
		n++
		if mass >= s.topP {
			break
		}
	}
	u := s.rng.Float64() * mass
	var c float64
	for _, k := range keys[:n] {
		id := int(k & 0xffffffff)
		c += p[id]
		if u < c {
			return id
		}
	}
	return int(keys[n-1] & 0xffffffff)
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
