package driver

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// compileModel compiles testdata/models/<name>.dl at batch (0: the file's).
func compileModel(t *testing.T, name string, batch int) *Result {
	t.Helper()
	file := filepath.Join("..", "..", "testdata", "models", name+".dl")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Compile(file, src, Options{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFLOPs(t *testing.T) {
	// Per sample: the forward products, and the train step's three GEMMs
	// per layer less the input gradient of the first layer, which no one
	// needs (peers/RESULTS.md: 34 kFLOP and 145 MFLOP).
	const (
		mlpFwd   = 2 * (10*10 + 10*10 + 10*1)
		lenetC1  = 2 * 6 * 28 * 28 * 25
		lenetFwd = lenetC1 + 2*16*10*10*150 + 2*(400*120+120*84+84*10)
	)
	for _, c := range []struct {
		model, fn string
		batch     int
		want      int64
	}{
		{"mlp", "infer", 32, 32 * mlpFwd},
		{"mlp", "train", 32, 32 * (3*mlpFwd - 2*10*10)},
		{"mlp", "infer", 1, mlpFwd},
		{"lenet", "infer", 64, 64 * lenetFwd},
		{"lenet", "train", 64, 64 * (3*lenetFwd - lenetC1)},
		{"lenet", "nosuchfunc", 64, 0},
	} {
		res := compileModel(t, c.model, c.batch)
		if got := FLOPs(res.Program, c.fn, c.batch); got != c.want {
			t.Errorf("FLOPs(%s, %s, %d) = %d, want %d", c.model, c.fn, c.batch, got, c.want)
		}
	}
	// The LSTM's recurrent products: 20 steps of two layers, the first
	// step's h0·W_hh skipped (h0 is zero), and the head.
	res := compileModel(t, "lstm", 32)
	lstmFwd := int64(2*(20*(8*200+3*50*200)-2*50*200) + 2*50*1)
	if got := FLOPs(res.Program, "infer", 32); got != 32*lstmFwd {
		t.Errorf("lstm infer FLOPs = %d, want %d", got, 32*lstmFwd)
	}
}

func TestLabelRange(t *testing.T) {
	lenet := compileModel(t, "lenet", 0).Program
	gru := compileModel(t, "gru", 0).Program
	for _, c := range []struct {
		prog *ir.Program
		name string
		want int
	}{
		{lenet, "y", 10},
		{gru, "label", 4},
		{gru, "tokens", 1000},
	} {
		if got := labelRange(c.prog, c.name); got != c.want {
			t.Errorf("labelRange(%s, %s) = %d, want %d", c.prog.Name, c.name, got, c.want)
		}
	}
}

func TestBenchMainArgs(t *testing.T) {
	res := compileModel(t, "lenet", 8)
	args, err := benchArgs(res.Program, "train", 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 2 || args[0].len != 8*1024 || args[1].len != 8 || args[1].labels != 10 {
		t.Fatalf("lenet train args = %+v", args)
	}
	src, err := benchMain("train", args, res.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m.TrainStep(a0, a1)", "int32(rng.IntN(10))", "make([]float32, 8192)"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("bench main lacks %q:\n%s", want, src)
		}
	}
	args, err = benchArgs(res.Program, "infer", 1)
	if err != nil || len(args) != 2 || args[1].name != "logits" || args[1].len != 10 {
		t.Fatalf("lenet infer args = %+v, %v", args, err)
	}
}

func TestMedianSig(t *testing.T) {
	if m, lo, hi := median([]float64{3, 1, 2, 10}); m != 2.5 || lo != 1 || hi != 10 {
		t.Errorf("median = %g (%g-%g), want 2.5 (1-10)", m, lo, hi)
	}
	for x, want := range map[float64]string{0.0199512: "0.01995", 1603737.2: "1603737", 42.01: "42.01", 0: "0"} {
		if got := sig(x, 4); got != want {
			t.Errorf("sig(%g, 4) = %q, want %q", x, got, want)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	mlp := mlpModel()
	if code, _, stderr := run(t, "bench", "-h"); code != ExitOK || !strings.Contains(stderr, "-threads") {
		t.Errorf("dlc bench -h: exit %d, stderr %q; want %d and the flags", code, stderr, ExitOK)
	}
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"bench", "-mode", "eval", mlp}, "-mode must be train or infer"},
		{[]string{"bench", "-threads", "0", mlp}, "-threads must be positive"},
		{[]string{"bench", "-count", "0", mlp}, "-count must be positive"},
		{[]string{"bench"}, "expected one model file, got 0"},
	} {
		if code, _, stderr := run(t, c.args...); code != ExitUsage || !strings.Contains(stderr, c.stderr) {
			t.Errorf("dlc %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, ExitUsage, c.stderr)
		}
	}
}

var benchLine = regexp.MustCompile(`(?m)^bench model=(\w+) mode=(train|infer) batch=(\d+) threads=(\d+) ` +
	`ms_per_step=([0-9.]+) samples_per_s=([0-9.]+) gflops=([0-9.]+) arena_bytes=(\d+) allocs_per_step=([0-9.]+)\n\z`)

func TestBenchMLP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	for _, mode := range []string{"train", "infer"} {
		code, stdout, stderr := run(t, "bench", "-mode", mode, "-batch", "4", "-time", "20ms", "-count", "3", mlpModel())
		if code != ExitOK {
			t.Fatalf("dlc bench -mode %s: exit %d: %s", mode, code, stderr)
		}
		m := benchLine.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("dlc bench -mode %s: no final bench line in:\n%s", mode, stdout)
		}
		if m[1] != "mlp" || m[2] != mode || m[3] != "4" || m[4] != "1" {
			t.Errorf("bench line %q: want model=mlp mode=%s batch=4 threads=1", m[0], mode)
		}
		ms, _ := strconv.ParseFloat(m[5], 64)
		sps, _ := strconv.ParseFloat(m[6], 64)
		if ms <= 0 || sps <= 0 || m[8] == "0" {
			t.Errorf("bench line %q: want positive time, throughput and arena", m[0])
		}
		if r := sps * ms / 1e3 / 4; r < 0.99 || r > 1.01 {
			t.Errorf("bench line %q: samples/s disagrees with ms/step at batch 4", m[0])
		}
	}
}
