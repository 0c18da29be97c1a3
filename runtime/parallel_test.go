package runtime

import (
	"fmt"
	goruntime "runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chunkLog records the chunks a loop ran.
type chunkLog struct {
	mu     sync.Mutex
	chunks [][2]int
}

func (l *chunkLog) body(lo, hi int) {
	l.mu.Lock()
	l.chunks = append(l.chunks, [2]int{lo, hi})
	l.mu.Unlock()
}

func (l *chunkLog) sorted() [][2]int {
	slices.SortFunc(l.chunks, func(a, b [2]int) int { return a[0] - b[0] })
	return l.chunks
}

func TestForCoversRange(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 4, 7} {
		p := NewPool(threads)
		for _, grain := range []int{0, 1, 5} {
			for _, n := range []int{0, 1, 2, 3, 5, 6, 7, 13, 50, 1001} {
				var l chunkLog
				p.ForGrain(n, grain, l.body)
				got := l.sorted()
				if len(got) != p.Chunks(n, grain) {
					t.Errorf("threads %d grain %d n %d: %d chunks, want %d", threads, grain, n, len(got), p.Chunks(n, grain))
				}
				next := 0
				for c, ch := range got {
					if ch[0] != next || ch[1] <= ch[0] {
						t.Fatalf("threads %d grain %d n %d: chunks %v do not tile [0, %d)", threads, grain, n, got, n)
					}
					if lo, hi := chunk(n, len(got), c); lo != ch[0] || hi != ch[1] {
						t.Errorf("chunk %d = %v, want [%d %d)", c, ch, lo, hi)
					}
					if size := ch[1] - ch[0]; grain > 1 && len(got) > 1 && size < grain {
						t.Errorf("threads %d grain %d n %d: chunk of %d elements", threads, grain, n, size)
					}
					next = ch[1]
				}
				if next != n {
					t.Fatalf("threads %d grain %d n %d: chunks %v end at %d", threads, grain, n, got, next)
				}
			}
		}
		p.Close()
	}
}

func TestChunks(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	tests := []struct{ n, grain, want int }{
		{0, 1, 0}, {-3, 1, 0}, {1, 1, 1}, {3, 1, 3}, {100, 1, 4},
		{100, 30, 3}, {100, 100, 1}, {10, 1000, 1}, {100, 0, 4},
	}
	for _, tt := range tests {
		if got := p.Chunks(tt.n, tt.grain); got != tt.want {
			t.Errorf("Chunks(%d, %d) = %d, want %d", tt.n, tt.grain, got, tt.want)
		}
	}
	var nilPool *Pool
	if nilPool.Threads() != 1 || nilPool.Chunks(100, 1) != 1 {
		t.Error("nil pool is not single-threaded")
	}
	var l chunkLog
	nilPool.For(10, l.body)
	nilPool.Close()
	if !slices.Equal(l.chunks, [][2]int{{0, 10}}) {
		t.Errorf("nil pool ran %v", l.chunks)
	}
}

func TestForWritesVisible(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	x := make([]int, 10000)
	for iter := range 100 {
		p.For(len(x), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				x[i] += i
			}
		})
		for i, v := range x {
			if v != i*(iter+1) {
				t.Fatalf("iteration %d: x[%d] = %d", iter, i, v)
			}
		}
	}
}

func TestForZeroAllocs(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	var sum atomic.Int64
	body := func(lo, hi int) { sum.Add(int64(hi - lo)) }
	allocs := testing.AllocsPerRun(1000, func() { p.For(1000, body) })
	if allocs != 0 {
		t.Errorf("%v allocations per For", allocs)
	}
	if sum.Load() != 1001*1000 {
		t.Errorf("visited %d elements, want %d", sum.Load(), 1001*1000)
	}
}

func TestForPanic(t *testing.T) {
	p := NewPool(4)
	defer p.Close()
	for _, bad := range []int{0, 3} { // chunk 0 runs on the caller, 3 on a worker
		func() {
			defer func() {
				if v := recover(); v != fmt.Sprint("chunk ", bad) {
					t.Errorf("recovered %v, want the panic of chunk %d", v, bad)
				}
			}()
			p.For(4, func(lo, hi int) {
				if lo == bad {
					panic(fmt.Sprint("chunk ", lo))
				}
			})
		}()
		var l chunkLog
		p.For(4, l.body)
		if len(l.chunks) != 4 {
			t.Errorf("after a panic the pool ran %d chunks, want 4", len(l.chunks))
		}
	}
}

func TestForNestedAndConcurrent(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				p.For(9, func(lo, hi int) {
					p.For(hi-lo, func(a, b int) { total.Add(int64(b - a)) })
				})
			}
		})
	}
	wg.Wait()
	if got := total.Load(); got != 4*50*9 {
		t.Errorf("visited %d elements, want %d", got, 4*50*9)
	}
}

func TestClose(t *testing.T) {
	p := NewPool(3)
	p.Close()
	p.Close()
	var l chunkLog
	p.For(9, l.body)
	if want := [][2]int{{0, 3}, {3, 6}, {6, 9}}; !slices.Equal(l.chunks, want) {
		t.Errorf("after Close ran %v, want %v in order", l.chunks, want)
	}
}

// TestPoolCleanup checks that the workers of an unreachable pool exit.
func TestPoolCleanup(t *testing.T) {
	before := goruntime.NumGoroutine()
	func() {
		p := NewPool(8)
		p.For(8, func(lo, hi int) {})
	}()
	deadline := time.Now().Add(5 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		goruntime.GC()
		time.Sleep(time.Millisecond)
	}
	if n := goruntime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the pool became unreachable, %d before", n, before)
	}
}

func BenchmarkForDispatch(b *testing.B) {
	for _, threads := range []int{1, 2, 4} {
		b.Run(fmt.Sprint("threads=", threads), func(b *testing.B) {
			p := NewPool(threads)
			defer p.Close()
			body := func(lo, hi int) {}
			for b.Loop() {
				p.For(threads, body)
			}
		})
	}
}

// BenchmarkForAxpy sweeps loop sizes to show where a parallel loop starts
// to pay for its hand-off.
func BenchmarkForAxpy(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18} {
		x, y := make([]float32, n), make([]float32, n)
		body := func(lo, hi int) {
			for i := lo; i < hi; i++ {
				y[i] += 2 * x[i]
			}
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("n=%d/threads=%d", n, threads), func(b *testing.B) {
				p := NewPool(threads)
				defer p.Close()
				b.SetBytes(int64(8 * n))
				for b.Loop() {
					p.For(n, body)
				}
			})
		}
	}
}

func TestGrain(t *testing.T) {
	tests := []struct{ work, want int }{
		{0, MinChunkWork}, {1, MinChunkWork}, {2, MinChunkWork / 2}, {3, MinChunkWork/3 + 1},
		{MinChunkWork, 1}, {10 * MinChunkWork, 1},
	}
	for _, tt := range tests {
		if got := Grain(tt.work); got != tt.want {
			t.Errorf("Grain(%d) = %d, want %d", tt.work, got, tt.want)
		}
	}
	p := NewPool(2)
	defer p.Close()
	if k := p.Chunks(1000, Grain(2)); k != 1 {
		t.Errorf("a 1000-element axpy runs in %d chunks, want 1", k)
	}
}
