package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/dlc-lang/dlc/internal/driver"
	"github.com/dlc-lang/dlc/internal/parity/models/seedlenet"
	"github.com/dlc-lang/dlc/internal/parity/models/seedlstm"
	"github.com/dlc-lang/dlc/internal/parity/models/seedmlp"
)

// Case is one timed entry point of a seed model, with its data filled in.
type Case struct {
	Name  string // model_mode_bBATCH
	Model string // testdata/models/<Model>.dl
	Mode  string // train or infer
	Batch int
	Step  func() error
}

// Cases returns the benchmark cases: each seed model's TrainStep at its
// file's batch and its Forward at batch 1, on seeded random data.
func Cases() []Case {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int, lo, hi float64) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return s
	}
	labels := func(n, classes int) []int32 {
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(rng.IntN(classes))
		}
		return s
	}
	// The cases run on one thread (a new Model takes GOMAXPROCS), except
	// lenet2, lenet on 2 threads: the same results, its train step split
	// in two halves (passes/shard.go).
	mlp, lenet, lstm := seedmlp.New(1), seedlenet.New(1), seedlstm.New(1)
	mlp.SetThreads(1)
	lenet.SetThreads(1)
	lstm.SetThreads(1)
	lenet2 := seedlenet.New(1)
	lenet2.SetThreads(2)
	mx, my := fill(seedmlp.MaxBatch*seedmlp.XRow, -1, 1), fill(seedmlp.MaxBatch*seedmlp.YRow, 0, 1)
	lx, ly := fill(seedlenet.MaxBatch*seedlenet.XRow, -1, 1), labels(seedlenet.MaxBatch, seedlenet.LogitsRow)
	sx, sy := fill(seedlstm.MaxBatch*seedlstm.XRow, -1, 1), fill(seedlstm.MaxBatch*seedlstm.YRow, 0, 1)
	mout, lout, sout := make([]float32, seedmlp.OutRow), make([]float32, seedlenet.LogitsRow), make([]float32, seedlstm.PredRow)
	train := func(step func() (float32, error)) func() error {
		return func() error { _, err := step(); return err }
	}
	return []Case{
		{"mlp_train_b32", "mlp", "train", seedmlp.MaxBatch, train(func() (float32, error) { return mlp.TrainStep(mx, my) })},
		{"lenet_train_b64", "lenet", "train", seedlenet.MaxBatch, train(func() (float32, error) { return lenet.TrainStep(lx, ly) })},
		{"lenet_train_b64_t2", "lenet", "train", seedlenet.MaxBatch, train(func() (float32, error) { return lenet2.TrainStep(lx, ly) })},
		{"lstm_train_b32", "lstm", "train", seedlstm.MaxBatch, train(func() (float32, error) { return lstm.TrainStep(sx, sy) })},
		{"mlp_infer_b1", "mlp", "infer", 1, func() error { return mlp.Forward(mx[:seedmlp.XRow], mout) }},
		{"lenet_infer_b1", "lenet", "infer", 1, func() error { return lenet.Forward(lx[:seedlenet.XRow], lout) }},
		{"lstm_infer_b1", "lstm", "infer", 1, func() error { return lstm.Forward(sx[:seedlstm.XRow], sout) }},
	}
}

// FLOPs returns the matmul and conv FLOPs of one step of c, from the IR of
// testdata/models/<c.Model>.dl compiled at c.Batch.
func FLOPs(c Case) (int64, error) {
	_, file, _, _ := goruntime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "models", c.Model+".dl")
	src, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	res, err := driver.Compile(path, src, driver.Options{Batch: c.Batch})
	if err != nil {
		return 0, fmt.Errorf("compiling %s: %v", c.Model, err)
	}
	return driver.FLOPs(res.Program, c.Mode, c.Batch), nil
}
