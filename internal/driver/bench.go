package driver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// benchFlags are dlc bench's own flags.
type benchFlags struct {
	threads int
	mode    string
	count   int
	time    time.Duration
	peak    float64
	seed    uint64
	work    bool
}

// benchResult is what the benchmark program prints.
type benchResult struct {
	MS           []float64 `json:"ms"`
	Iters        int       `json:"iters"`
	Allocs       float64   `json:"allocs"`
	GOMAXPROCS   int       `json:"gomaxprocs"`
	ArenaBytes   *int64    `json:"arena_bytes"`
	FLOPsPerStep *int64    `json:"flops_per_step"`
}

func runBench(e *env, args []string) error {
	fs := newFlagSet(e, "bench")
	var cf compileFlags
	cf.register(fs)
	var bf benchFlags
	fs.IntVar(&bf.threads, "threads", 1, "threads: GOMAXPROCS of the benchmark, and the model's thread count when it has one")
	fs.StringVar(&bf.mode, "mode", "train", "what to time: train (TrainStep) or infer (Forward)")
	fs.IntVar(&bf.count, "count", 7, "timed repeats; the report gives their median, min and max")
	fs.DurationVar(&bf.time, "time", 300*time.Millisecond, "target duration of one repeat")
	fs.Float64Var(&bf.peak, "peak", 211, "peak GFLOP/s of one core (fp32 FMA), for the percentage of peak")
	fs.Uint64Var(&bf.seed, "seed", 1, "seed of the model's initialization and of the random data")
	fs.BoolVar(&bf.work, "work", false, "keep the temporary module and print its directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case bf.mode != "train" && bf.mode != "infer":
		return usagef("-mode must be train or infer, got %q", bf.mode)
	case bf.threads < 1:
		return usagef("-threads must be positive, got %d", bf.threads)
	case bf.count < 1:
		return usagef("-count must be positive, got %d", bf.count)
	case bf.time <= 0:
		return usagef("-time must be positive, got %v", bf.time)
	case bf.peak <= 0:
		return usagef("-peak must be positive, got %g", bf.peak)
	}
	name, src, opts, err := cf.load(fs)
	if err != nil {
		return err
	}
	opts.Package = "model"
	res, err := Compile(name, src, opts)
	if err != nil {
		return err
	}
	prog := res.Program
	batch := prog.Batch
	bargs, err := benchArgs(prog, bf.mode, batch)
	if err != nil {
		return err
	}
	mainGo, err := benchMain(bf.mode, bargs, res.Files)
	if err != nil {
		return err
	}
	r, err := runBenchModule(e, bf, res.Files, mainGo)
	if err != nil {
		return err
	}
	fn := map[string]string{"train": "train", "infer": "infer"}[bf.mode]
	flops := FLOPs(prog, fn, batch)
	if r.FLOPsPerStep != nil && bf.mode == "train" {
		flops = *r.FLOPsPerStep
	}
	arena := arenaBytes(prog)
	if r.ArenaBytes != nil {
		arena = *r.ArenaBytes
	}
	rep := benchReport{
		model: prog.Name, file: filepath.Base(name), mode: bf.mode, batch: batch, threads: bf.threads,
		threaded: hasSetThreads(res.Files), ms: r.MS, iters: r.Iters, flops: flops, peak: bf.peak,
		arena: arena, allocs: r.Allocs,
	}
	rep.write(e.stdout)
	return nil
}

// runBenchModule builds the benchmark in a temporary module and runs it
// with GOMAXPROCS set to the thread count.
func runBenchModule(e *env, bf benchFlags, files map[string][]byte, mainGo []byte) (*benchResult, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("dlc bench needs the go command: %v", err)
	}
	src, err := findDLC(goCmd)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dlc-bench-")
	if err != nil {
		return nil, err
	}
	if bf.work {
		fmt.Fprintf(e.stderr, "WORK=%s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if err := writeBenchModule(dir, src, files, mainGo); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "bench")
	if _, err := goOutput(goCmd, dir, "build", "-mod=mod", "-o", bin, "."); err != nil {
		return nil, fmt.Errorf("building the benchmark: %v", err)
	}
	cmd := exec.Command(bin, "-seed", strconv.FormatUint(bf.seed, 10), "-count", strconv.Itoa(bf.count),
		"-time", bf.time.String(), "-threads", strconv.Itoa(bf.threads))
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(bf.threads))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("running the benchmark: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var r benchResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || len(r.MS) == 0 {
		return nil, fmt.Errorf("the benchmark printed %q, want a JSON result", stdout.String())
	}
	return &r, nil
}
