package runtime

// View returns buf[off:off+n] with its capacity cut to n, so appending to
// the view can never write past it into a neighbour. Generated code carves
// the tensors of a planned memory block with it:
//
//	block := make([]float32, 4096)
//	x := runtime.View(block, 0, 1024)    // live in steps 1-3
//	h := runtime.View(block, 1024, 3072) // live in steps 2-4
//	y := runtime.View(block, 0, 512)     // reuses x's bytes from step 4
func View[F any](buf []F, off, n int) []F {
	return buf[off : off+n : off+n]
}
