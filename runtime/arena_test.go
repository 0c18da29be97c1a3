package runtime

import "testing"

func TestView(t *testing.T) {
	buf := []float32{0, 1, 2, 3, 4, 5}
	v := View(buf, 2, 3)
	if len(v) != 3 || cap(v) != 3 || v[0] != 2 || v[2] != 4 {
		t.Fatalf("View(buf, 2, 3) = %v (cap %d)", v, cap(v))
	}
	v = append(v, 9) // must reallocate, not overwrite buf[5]
	if buf[5] != 5 {
		t.Errorf("append to a view wrote into its neighbour: %v", buf)
	}
	v[0] = 7 // v now has its own array
	if buf[2] != 2 {
		t.Error("view still aliases buf after append")
	}
	if w := View(buf, 6, 0); len(w) != 0 || cap(w) != 0 {
		t.Errorf("empty view at the end: len %d cap %d", len(w), cap(w))
	}
	defer func() {
		if recover() == nil {
			t.Error("a view past the end did not panic")
		}
	}()
	View(buf, 4, 3)
}
