package passes

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dlc-lang/dlc/dsl"
)

// FuzzLower feeds arbitrary sources through the parser and the lowering:
// neither may panic, and whatever lowers must verify and run the pipeline.
func FuzzLower(f *testing.F) {
	for _, pattern := range []string{"../testdata/models/*.dl", "../testdata/torchref/*.dl", "testdata/errors/*.dl", "../testdata/dsl/errors/*.dl"} {
		files, _ := filepath.Glob(pattern)
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := dsl.Parse("fuzz.dl", src)
		if err != nil {
			return
		}
		p, err := Lower(file, LowerOptions{})
		if err != nil {
			return
		}
		if p.Batch > 256 {
			return // keep the pipeline run cheap
		}
		if err := Run(p, Config{Check: true}); err != nil {
			t.Fatalf("lowered program failed the pipeline: %v\n%s", err, src)
		}
	})
}
