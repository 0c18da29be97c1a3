package dsl

import (
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever parses
// formats to a fixed point that keeps every comment. Seeds are the shared
// models and the programs in testdata/dsl. Run it with a short minimize
// time, or the fuzzer spends most of its time minimizing:
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 1s ./dsl
func FuzzParse(f *testing.F) {
	for _, dir := range []string{modelsDir, errorsDir, formatDir} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.dl"))
		for _, name := range files {
			f.Add(readFile(f, name))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.dl", src)
		if err != nil {
			_ = err.Error()
			return
		}
		out := Format(file)
		checkIdempotent(t, "fuzz.dl", out)
		again, _ := Parse("fuzz.dl", out)
		if len(again.Comments) != len(file.Comments) {
			t.Fatalf("%d comments became %d:\n%s", len(file.Comments), len(again.Comments), out)
		}
	})
}
