package simulator

// rng is a small deterministic generator (SplitMix64). The simulator derives
// a fresh one from (seed, index, stream) whenever it renders an event, so any
// event can be reproduced on demand without storing its JSON.
type rng struct{ s uint64 }

// Streams keep independent draws apart: adding a draw to one stream never
// shifts the values another stream produces.
const (
	streamHead uint64 = iota + 1
	streamContext
	streamTimeline
	streamPK
	streamExpires
	streamDirectory
	streamLive
	streamFaults
	streamIDs
	streamKinds
)

// newRNG returns the generator for one (seed, index, stream) triple.
func newRNG(seed int64, index, stream uint64) rng {
	return rng{s: mix64(uint64(seed) ^ mix64(index^(stream*0x9e3779b97f4a7c15)))}
}

// mix64 is SplitMix64's finaliser: a cheap, well-distributed 64-bit hash.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n); n must be positive. The modulo bias is
// irrelevant for test data.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// uuid4 returns random bytes shaped as a version 4, RFC 4122 variant UUID.
func (r *rng) uuid4() [16]byte {
	var u [16]byte
	a, b := r.next(), r.next()
	for i := range 8 {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// hex returns n random lower-case hex digits.
func (r *rng) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	var v uint64
	for i := range b {
		if i%16 == 0 {
			v = r.next()
		}
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b)
}

// pick returns a random element of xs, which must not be empty.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// weighted returns an index drawn with the given relative weights.
func weighted(r *rng, weights []int, total int) int {
	n := r.intn(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}
