package passes

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dlc-lang/dlc/dsl"
)

func TestLowerDev(t *testing.T) {
	files, _ := filepath.Glob("../testdata/torchref/*.dl")
	for _, fn := range files {
		src, _ := os.ReadFile(fn)
		f, err := dsl.Parse(filepath.Base(fn), src)
		if err != nil {
			t.Errorf("%s: %v", fn, err)
			continue
		}
		p, err := Lower(f, LowerOptions{})
		if err != nil {
			t.Errorf("%s: %v", fn, err)
			continue
		}
		t.Logf("%s: %d params, funcs %d %d", fn, len(p.Params), len(p.Funcs[0].Values), len(p.Funcs[len(p.Funcs)-1].Values))
		if filepath.Base(fn) == "mlp.dl" {
			t.Log(p.String())
		}
	}
}
