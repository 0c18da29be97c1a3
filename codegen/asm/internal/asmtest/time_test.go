package asmtest

import (
	"testing"
	"time"
)

func TestTimeGen(t *testing.T) {
	for _, cs := range [][]Case{OddCases(), BenchCases()} {
		t0 := time.Now()
		if _, err := Package("x", cs); err != nil {
			t.Fatal(err)
		}
		t.Log(time.Since(t0))
	}
}
