package asm

import (
	"testing"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/pass"
)

func TestScratch(t *testing.T) {
	for _, s := range []GEMMSpec{{Name: "Q", N: 64, K: 64}, {Name: "S", N: 48, K: 64}, {Name: "T", N: 32, K: 64}, {Name: "U", N: 32, K: 8}, {Name: "V", N: 64, K: 8}} {
		for _, x := range isas[:1] {
			c := build.NewContext()
			e := newAVX512(c, false)
			emitGEMM(c, s, x, e, "f"+x.name)
			f, err := c.Result()
			if err != nil {
				t.Fatal(err)
			}
			err = pass.Compile.Execute(f)
			t.Logf("%s %s: %+v %v", s.Name, x.name, planGEMM(s, x), err)
		}
	}
}
