package tokenizer

// queue is a binary heap of merge candidates, ordered by their before
// method: the BPE and SentencePiece mergers share it.
type queue[T interface{ before(T) bool }] struct{ a []T }

func (q *queue[T]) len() int { return len(q.a) }

func (q *queue[T]) push(x T) {
	q.a = append(q.a, x)
	for i := len(q.a) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.a[i].before(q.a[parent]) {
			break
		}
		q.a[i], q.a[parent] = q.a[parent], q.a[i]
		i = parent
	}
}

func (q *queue[T]) pop() T {
	top := q.a[0]
	last := len(q.a) - 1
	q.a[0] = q.a[last]
	q.a = q.a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && q.a[l].before(q.a[m]) {
			m = l
		}
		if r < last && q.a[r].before(q.a[m]) {
			m = r
		}
		if m == i {
			break
		}
		q.a[i], q.a[m] = q.a[m], q.a[i]
		i = m
	}
	return top
}
