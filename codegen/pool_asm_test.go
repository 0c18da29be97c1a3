package codegen

import (
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// TestPoolTiles checks which max poolings run as pooling kernels.
func TestPoolTiles(t *testing.T) {
	for _, c := range []struct {
		attrs  ir.Attrs
		x, out ir.Shape
		want   bool
	}{
		{ir.Attrs{"kernel": []int{2, 2}}, ir.Shape{-1, 6, 28, 28}, ir.Shape{-1, 6, 14, 14}, true},
		{ir.Attrs{"kernel": []int{2, 2}}, ir.Shape{-1, 3, 9, 8}, ir.Shape{-1, 3, 4, 4}, true}, // floor: a trailing row
		{ir.Attrs{"kernel": []int{1, 1}}, ir.Shape{-1, 3, 9, 8}, ir.Shape{-1, 3, 9, 8}, true},
		{ir.Attrs{"kernel": []int{4, 2}, "stride": []int{4, 2}}, ir.Shape{1, 1, 9, 33}, ir.Shape{1, 1, 2, 16}, true},
		{ir.Attrs{"kernel": []int{2, 2}}, ir.Shape{-1, 3, 9, 9}, ir.Shape{-1, 3, 5, 5}, false}, // ceil mode
		{ir.Attrs{"kernel": []int{3, 2}, "stride": []int{2, 3}}, ir.Shape{1, 3, 9, 8}, ir.Shape{1, 3, 4, 3}, false},
		{ir.Attrs{"kernel": []int{2, 2}, "pad": []int{1, 1}}, ir.Shape{1, 1, 8, 8}, ir.Shape{1, 1, 5, 5}, false},
		{ir.Attrs{"kernel": []int{3, 3}}, ir.Shape{1, 1, 9, 9}, ir.Shape{1, 1, 3, 3}, false},   // KW > 2
		{ir.Attrs{"kernel": []int{5, 2}}, ir.Shape{1, 1, 10, 10}, ir.Shape{1, 1, 2, 5}, false}, // KH > 4
		{ir.Attrs{}, ir.Shape{1, 1, 8, 8}, ir.Shape{1, 1, 8, 8}, false},                        // no kernel attribute
	} {
		if got := newPoolGeom(c.attrs, c.x, c.out).tiles(); got != c.want {
			t.Errorf("%v %v -> %v: tiles = %v, want %v", c.attrs, c.x, c.out, got, c.want)
		}
	}
}
