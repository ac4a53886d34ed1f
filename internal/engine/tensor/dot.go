package tensor

// This file holds the portable (pure Go) kernels. Their canonical order,
// which every portable kernel reproduces exactly for each output it
// computes, is
//
//	s0 = a[0]*b[0] + a[2]*b[2] + a[4]*b[4] + ...   (even indices, in order)
//	s1 = a[1]*b[1] + a[3]*b[3] + a[5]*b[5] + ...   (odd indices, in order)
//	dot = s0 + s1
//
// with every product and sum rounded to float32. Two partial sums per output
// hide the latency of the floating-point adder; the multi-output kernels
// (dot4x1 for matrix×vector, dot2x2 for matrix×matrix) keep two per output as
// well, so they run 8 independent accumulation chains while reading each
// loaded weight or input more than once. The SIMD kernels (kernels_amd64.s)
// have an order of their own, likewise shared by all of them; which set runs
// is decided once per process (see SIMD), so results never depend on thread
// count or batch size.

// Dot returns the dot product of a and b (the first len(a) elements of b) in
// the canonical order of the kernels in use. b must be at least as long as a.
func Dot(a, b []float32) float32 {
	if useSIMD && len(a) >= simdWidth {
		b = b[:len(a)]
		n := len(a) &^ (simdWidth - 1)
		return dotSIMD(a[:n], b[:n]) + tailDot(a, b, n)
	}
	return dotGo(a, b)
}

// tailDot returns the sum of a[i]*b[i] for i from `from` to len(a)-1,
// accumulated in order: the part of a SIMD dot product past the last full
// block of simdWidth elements.
func tailDot(a, b []float32, from int) float32 {
	var t float32
	for i := from; i < len(a); i++ {
		t += a[i] * b[i]
	}
	return t
}

// dot4x1 returns the dot products of four rows w0..w3 with x in the
// canonical order of the kernels in use. All rows have len(x) elements.
func dot4x1(w0, w1, w2, w3, x []float32) (r0, r1, r2, r3 float32) {
	if useSIMD && len(x) >= simdWidth {
		n := len(x) &^ (simdWidth - 1)
		var out [4]float32
		dot4x1SIMD(w0[:n], w1[:n], w2[:n], w3[:n], x[:n], &out)
		return out[0] + tailDot(w0[:len(x)], x, n), out[1] + tailDot(w1[:len(x)], x, n),
			out[2] + tailDot(w2[:len(x)], x, n), out[3] + tailDot(w3[:len(x)], x, n)
	}
	return dot4x1Go(w0, w1, w2, w3, x)
}

// dot2x2 returns the dot products of rows w0, w1 with inputs x0, x1
// (r01 = w0·x1 and so on) in the canonical order of the kernels in use. All
// slices have len(x0) elements.
func dot2x2(w0, w1, x0, x1 []float32) (r00, r01, r10, r11 float32) {
	if useSIMD && len(x0) >= simdWidth {
		n := len(x0) &^ (simdWidth - 1)
		var out [4]float32
		dot2x2SIMD(w0[:n], w1[:n], x0[:n], x1[:n], &out)
		m := len(x0)
		w0, w1, x1 = w0[:m], w1[:m], x1[:m]
		return out[0] + tailDot(w0, x0, n), out[1] + tailDot(w0, x1, n),
			out[2] + tailDot(w1, x0, n), out[3] + tailDot(w1, x1, n)
	}
	return dot2x2Go(w0, w1, x0, x1)
}

// dotGo is the portable Dot.
func dotGo(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		aa := a[i : i+4 : i+4]
		bb := b[i : i+4 : i+4]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s0 += aa[2] * bb[2]
		s1 += aa[3] * bb[3]
	}
	for ; i < n; i++ {
		if i&1 == 0 {
			s0 += a[i] * b[i]
		} else {
			s1 += a[i] * b[i]
		}
	}
	return s0 + s1
}

// dot4x1Go is the portable dot4x1.
func dot4x1Go(w0, w1, w2, w3, x []float32) (r0, r1, r2, r3 float32) {
	n := len(x)
	w0, w1, w2, w3 = w0[:n], w1[:n], w2[:n], w3[:n]
	var a0, a1, b0, b1, c0, c1, d0, d1 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		xx := x[i : i+4 : i+4]
		p := w0[i : i+4 : i+4]
		q := w1[i : i+4 : i+4]
		r := w2[i : i+4 : i+4]
		s := w3[i : i+4 : i+4]
		x0, x1, x2, x3 := xx[0], xx[1], xx[2], xx[3]
		a0 += p[0] * x0
		a1 += p[1] * x1
		b0 += q[0] * x0
		b1 += q[1] * x1
		c0 += r[0] * x0
		c1 += r[1] * x1
		d0 += s[0] * x0
		d1 += s[1] * x1
		a0 += p[2] * x2
		a1 += p[3] * x3
		b0 += q[2] * x2
		b1 += q[3] * x3
		c0 += r[2] * x2
		c1 += r[3] * x3
		d0 += s[2] * x2
		d1 += s[3] * x3
	}
	for ; i < n; i++ {
		if i&1 == 0 {
			a0 += w0[i] * x[i]
			b0 += w1[i] * x[i]
			c0 += w2[i] * x[i]
			d0 += w3[i] * x[i]
		} else {
			a1 += w0[i] * x[i]
			b1 += w1[i] * x[i]
			c1 += w2[i] * x[i]
			d1 += w3[i] * x[i]
		}
	}
	return a0 + a1, b0 + b1, c0 + c1, d0 + d1
}

// dot2x2Go is the portable dot2x2.
func dot2x2Go(w0, w1, x0, x1 []float32) (r00, r01, r10, r11 float32) {
	n := len(x0)
	w0, w1, x1 = w0[:n], w1[:n], x1[:n]
	var a0, a1, b0, b1, c0, c1, d0, d1 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		p := w0[i : i+4 : i+4]
		q := w1[i : i+4 : i+4]
		u := x0[i : i+4 : i+4]
		v := x1[i : i+4 : i+4]
		p0, p1, q0, q1 := p[0], p[1], q[0], q[1]
		u0, u1, v0, v1 := u[0], u[1], v[0], v[1]
		a0 += p0 * u0
		a1 += p1 * u1
		b0 += p0 * v0
		b1 += p1 * v1
		c0 += q0 * u0
		c1 += q1 * u1
		d0 += q0 * v0
		d1 += q1 * v1
		p0, p1, q0, q1 = p[2], p[3], q[2], q[3]
		u0, u1, v0, v1 = u[2], u[3], v[2], v[3]
		a0 += p0 * u0
		a1 += p1 * u1
		b0 += p0 * v0
		b1 += p1 * v1
		c0 += q0 * u0
		c1 += q1 * u1
		d0 += q0 * v0
		d1 += q1 * v1
	}
	for ; i < n; i++ {
		if i&1 == 0 {
			a0 += w0[i] * x0[i]
			b0 += w0[i] * x1[i]
			c0 += w1[i] * x0[i]
			d0 += w1[i] * x1[i]
		} else {
			a1 += w0[i] * x0[i]
			b1 += w0[i] * x1[i]
			c1 += w1[i] * x0[i]
			d1 += w1[i] * x1[i]
		}
	}
	return a0 + a1, b0 + b1, c0 + c1, d0 + d1
}

// Dot4 returns the dot products of four rows w0..w3 with x, each exactly
// what Dot(wi, x) returns, computed together so that x is loaded once for
// the four (attention scores over four cached keys, for example). Each row
// must have at least len(x) elements.
func Dot4(w0, w1, w2, w3, x []float32) (r0, r1, r2, r3 float32) {
	n := len(x)
	return dot4x1(w0[:n], w1[:n], w2[:n], w3[:n], x)
}
