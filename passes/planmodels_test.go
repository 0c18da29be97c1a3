package passes

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanEveryModel runs the whole pipeline, at the file's batch and at a
// small one, on every model of testdata/models and testdata/torchref and
// checks each func's plan with checkPlan's independent liveness simulation.
func TestPlanEveryModel(t *testing.T) {
	files, _ := filepath.Glob("../testdata/models/*.dl")
	more, _ := filepath.Glob("../testdata/torchref/*.dl")
	for _, path := range append(files, more...) {
		name := filepath.Base(filepath.Dir(path)) + "/" + strings.TrimSuffix(filepath.Base(path), ".dl")
		for _, batch := range []int{0, 3} {
			p, err := lowerFile(t, path, LowerOptions{Batch: batch})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := Run(p, Config{Check: true}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, f := range p.Funcs {
				t.Run(name+"/"+f.Name, func(t *testing.T) { checkPlan(t, p, f) })
			}
		}
	}
}
