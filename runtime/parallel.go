package runtime

import (
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs parallel loops on a fixed set of worker goroutines started by
// NewPool: a loop costs no goroutine, no lock and no allocation. A nil *Pool
// is valid and runs every loop on the caller.
//
// Workers hand off through atomics: an idle worker spins for spinTime
// (yielding its thread now and then) before it parks, so the loops of a
// training step, which follow each other closely, start on threads that
// are already running. A parked worker is woken through a channel.
//
// A Pool runs one loop at a time. A loop started while another runs — from
// inside a loop body, or from another goroutine — runs its chunks one after
// the other on its caller, with the same chunk boundaries. Threads beyond
// GOMAXPROCS do not run at the same time and only add hand-offs.
type Pool struct {
	threads int
	busy    atomic.Bool
	state   *poolState
}

// spinTime is how long idle workers, and a caller waiting for its workers,
// spin before they park. A training step runs its parallel kernels a few
// hundred microseconds apart, with serial kernels between them; waking a
// parked worker (a futex on this VM) costs as much as a small kernel, so
// workers keep spinning across a step: with 50 µs LeNet's step on 2 threads
// was 2.06 ms against 1.68 ms with 500 µs (go test -bench 'Seed/lenet' ./internal/bench).
const spinTime = 500 * time.Microsecond

// poolState is what the workers share with the Pool. It does not point to
// the Pool, so an unreachable Pool can be cleaned up.
type poolState struct {
	workers  []worker
	pending  atomic.Int64   // chunks handed out and not finished
	wg       sync.WaitGroup // the same count, for a caller that parks
	panicked atomic.Pointer[panicValue]
	closed   atomic.Bool
	once     sync.Once
}

// worker is the mailbox of one worker goroutine. The caller writes t and
// then increments seq; the worker runs t once it sees seq move.
type worker struct {
	seq      atomic.Uint64
	sleeping atomic.Bool
	wake     chan struct{} // buffered; a token wakes a parked worker
	t        task
	_        [64]byte // keep mailboxes on separate cache lines
}

// task is one chunk of a loop.
type task struct {
	body   func(lo, hi int)
	lo, hi int
}

// panicValue carries a worker's panic to the caller of the loop.
type panicValue struct{ v any }

// NewPool starts a pool of threads threads: the caller of a loop and
// threads-1 workers. threads <= 0 means GOMAXPROCS. Close stops the workers;
// a Pool that becomes unreachable is closed as well.
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = goruntime.GOMAXPROCS(0)
	}
	s := &poolState{workers: make([]worker, threads-1)}
	for i := range s.workers {
		w := &s.workers[i]
		w.wake = make(chan struct{}, 1)
		go s.work(w)
	}
	p := &Pool{threads: threads, state: s}
	goruntime.AddCleanup(p, (*poolState).close, s)
	return p
}

// Threads returns the number of threads of p, counting the caller.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close stops the workers. Loops run after Close run on the caller. Close
// must not be called during a loop.
func (p *Pool) Close() {
	if p != nil {
		p.state.close()
	}
}

func (s *poolState) close() {
	s.once.Do(func() {
		s.closed.Store(true)
		for i := range s.workers {
			s.workers[i].signal()
		}
	})
}

// For calls body on contiguous chunks [lo, hi) covering [0, n), in parallel,
// and returns when all calls have returned. It is ForGrain with grain 1.
func (p *Pool) For(n int, body func(lo, hi int)) { p.ForGrain(n, 1, body) }

// ForGrain is For with chunks of at least grain elements (unless n <
// grain): loops too small to repay a hand-off stay on the caller. See Grain.
//
// The chunks are Chunks(n, grain) equal parts of [0, n), the first n%k of
// them one element longer; chunk 0 runs on the caller. Boundaries depend
// only on n, grain and Threads, so a loop's floating-point results are the
// same on every run. A panic in body is re-raised on the caller once all
// chunks have finished.
func (p *Pool) ForGrain(n, grain int, body func(lo, hi int)) {
	k := p.Chunks(n, grain)
	if k <= 1 {
		if n > 0 {
			body(0, n)
		}
		return
	}
	if p.state.closed.Load() || !p.busy.CompareAndSwap(false, true) {
		for c := range k {
			body(chunk(n, k, c))
		}
		return
	}
	p.run(n, k, body)
}

// Chunks returns the number of chunks ForGrain splits a loop of n elements
// into: min(Threads, n/grain), at least 1, and 0 when n <= 0.
func (p *Pool) Chunks(n, grain int) int {
	if n <= 0 {
		return 0
	}
	return max(1, min(p.Threads(), n/max(grain, 1)))
}

// MinChunkWork is the work, in floating-point operations, below which a
// chunk does not repay its hand-off to another thread: a hand-off costs
// about a microsecond (more on a loaded machine; see BenchmarkForDispatch),
// and the generated vector kernels run 100-200 GFLOP/s, so a chunk needs a
// few microseconds of work. With 1<<15, sized for scalar loops, the LSTM's
// per-step products (640 KFLOP at batch 32) split in two and its step ran
// 0.7-0.84× as fast on two threads as on one.
const MinChunkWork = 1 << 19

// Grain returns the grain for ForGrain of a loop whose iterations cost work
// scalar floating-point operations each: enough iterations to make
// MinChunkWork.
func Grain(work int) int {
	work = max(work, 1)
	return max(1, (MinChunkWork+work-1)/work)
}

// run hands chunks 1..k-1 to the workers and runs chunk 0.
func (p *Pool) run(n, k int, body func(lo, hi int)) {
	s := p.state
	s.pending.Store(int64(k - 1))
	s.wg.Add(k - 1)
	for c := 1; c < k; c++ {
		w := &s.workers[c-1]
		lo, hi := chunk(n, k, c)
		w.t = task{body, lo, hi}
		w.seq.Add(1)
		if w.sleeping.Load() {
			w.signal()
		}
	}
	defer p.finish()
	body(chunk(n, k, 0))
}

// finish waits for the workers, spinning first, and re-raises a worker's
// panic.
func (p *Pool) finish() {
	s := p.state
	spin(func() bool { return s.pending.Load() == 0 })
	s.wg.Wait()
	p.busy.Store(false)
	if pv := s.panicked.Swap(nil); pv != nil {
		panic(pv.v)
	}
}

// work runs the tasks posted to w until the pool closes.
func (s *poolState) work(w *worker) {
	var done uint64
	for s.await(w, done) {
		done++
		s.do(w.t)
	}
}

// await waits until w holds a task beyond the first done ones, and reports
// false when the pool closes instead.
func (s *poolState) await(w *worker, done uint64) bool {
	ready := func() bool { return w.seq.Load() != done || s.closed.Load() }
	for !spin(ready) {
		// Announce the nap, then look again: the caller posts, then
		// checks sleeping, so one of the two sees the other.
		w.sleeping.Store(true)
		if !ready() {
			<-w.wake
		}
		w.sleeping.Store(false)
	}
	return w.seq.Load() != done
}

// signal leaves a wake-up token for w unless one is already waiting.
func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (s *poolState) do(t task) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked.CompareAndSwap(nil, &panicValue{v})
		}
		s.pending.Add(-1)
		s.wg.Done()
	}()
	t.body(t.lo, t.hi)
}

// spin polls cond for up to spinTime, yielding the thread every 256 polls,
// and reports whether cond became true.
func spin(cond func() bool) bool {
	var start time.Time
	for i := 1; ; i++ {
		if cond() {
			return true
		}
		if i%256 == 0 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > spinTime {
				return false
			}
			goruntime.Gosched()
		}
	}
}

// chunk returns the bounds of chunk c of k over [0, n).
func chunk(n, k, c int) (lo, hi int) {
	q, r := n/k, n%k
	lo = c*q + min(c, r)
	hi = lo + q
	if c < r {
		hi++
	}
	return lo, hi
}
