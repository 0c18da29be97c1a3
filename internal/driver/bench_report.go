package driver

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// benchReport is one measurement, ready to print.
type benchReport struct {
	model, file, mode string
	batch, threads    int
	threaded          bool // the model runs its kernels on threads
	ms                []float64
	iters             int
	flops             int64
	peak              float64 // GFLOP/s of one core
	arena             int64
	allocs            float64
}

// write prints the report for people, then the one machine-readable line.
func (r benchReport) write(w io.Writer) {
	med, lo, hi := median(r.ms)
	samples := float64(r.batch) / (med / 1e3)
	gflops := float64(r.flops) / (med / 1e3) / 1e9
	peak := r.peak * float64(r.threads)
	entry := map[string]string{"train": "TrainStep", "infer": "Forward"}[r.mode]
	fmt.Fprintf(w, "model %s (%s), %s, batch %d\n", r.model, r.file, entry, r.batch)
	if r.threaded {
		fmt.Fprintf(w, "threads:    %d\n", r.threads)
	} else {
		fmt.Fprintf(w, "threads:    %d (GOMAXPROCS; the generated package has no thread setting: its kernels run on one goroutine)\n", r.threads)
	}
	fmt.Fprintf(w, "time/step:  %s ms median (%s-%s), %d repeats of %d steps\n", sig(med, 4), sig(lo, 4), sig(hi, 4), len(r.ms), r.iters)
	fmt.Fprintf(w, "throughput: %s samples/s\n", sig(samples, 4))
	fmt.Fprintf(w, "compute:    %s MFLOP/step (matmul and conv), %s GFLOP/s, %.1f%% of peak (%g GFLOP/s x %d core(s))\n",
		sig(float64(r.flops)/1e6, 4), sig(gflops, 4), 100*gflops/peak, r.peak, r.threads)
	fmt.Fprintf(w, "memory:     arena %d bytes, %s allocs/step\n", r.arena, sig(r.allocs, 3))
	fmt.Fprintf(w, "bench model=%s mode=%s batch=%d threads=%d ms_per_step=%s samples_per_s=%s gflops=%s arena_bytes=%d allocs_per_step=%s\n",
		r.model, r.mode, r.batch, r.threads, sig(med, 4), sig(samples, 4), sig(gflops, 4), r.arena, sig(r.allocs, 3))
}

// median returns the median of xs and their min and max.
func median(xs []float64) (med, lo, hi float64) {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

// sig formats x with about digits significant digits and no exponent.
func sig(x float64, digits int) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	dec := max(0, digits-1-int(math.Floor(math.Log10(math.Abs(x)))))
	return strconv.FormatFloat(x, 'f', dec, 64)
}
