package main

import (
	"math"

	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// moons makes n samples of two interleaved half-moons (as scikit-learn's
// make_moons), embedded in 10 features by a fixed random rotation plus
// noise in every feature. The classes are not linearly separable: the best
// linear classifier gets about 87%.
func moons(n int, noise float64, rng *dlcrt.RNG) (x, y []float32) {
	const features = 10
	embed := embedding(features, dlcrt.NewRNG(7)) // the same embedding for every split
	x = make([]float32, n*features)
	y = make([]float32, n)
	for i := 0; i < n; i++ {
		label := i % 2
		t := math.Pi * rng.Float64()
		px, py := math.Cos(t), math.Sin(t)
		if label == 1 {
			px, py = 1-px, 0.5-py
		}
		for j := 0; j < features; j++ {
			g, _ := rng.NormPair()
			x[i*features+j] = float32(embed[j][0]*px + embed[j][1]*py + noise*g)
		}
		y[i] = float32(label)
	}
	return x, y
}

// embedding returns two orthonormal directions in R^features (Gram-Schmidt
// on Gaussian vectors), so the moons keep their shape in 10 dimensions.
func embedding(features int, rng *dlcrt.RNG) [][2]float64 {
	e := make([][2]float64, features)
	for c := 0; c < 2; c++ {
		for j := range e {
			e[j][c], _ = rng.NormPair()
		}
		if c == 1 {
			dot := 0.0
			for j := range e {
				dot += e[j][0] * e[j][1]
			}
			for j := range e {
				e[j][1] -= dot * e[j][0]
			}
		}
		norm := 0.0
		for j := range e {
			norm += e[j][c] * e[j][c]
		}
		for j := range e {
			e[j][c] /= math.Sqrt(norm)
		}
	}
	return e
}
