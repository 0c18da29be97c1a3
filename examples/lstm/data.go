package main

import (
	"math"

	dlcrt "github.com/dlc-lang/dlc/runtime"
)

// features is the number of features per hour: the normalized load, then
// the sine and cosine of the hour of the day and of the day of the week.
const features = 5

// series is a synthetic hourly electricity load curve: a daily profile
// with morning and evening peaks, quieter weekends, a yearly cycle, a slow
// upward trend and autocorrelated noise, as a utility might see it.
type series struct {
	Load []float64 // in arbitrary units (about 1 on average)
	Hour []int     // hour of the day, 0-23
	Day  []int     // day of the week, 0 (Monday) to 6
}

// genSeries returns n hours of load, deterministic given seed.
func genSeries(n int, seed uint64) *series {
	r := dlcrt.NewRNG(seed)
	s := &series{Load: make([]float64, n), Hour: make([]int, n), Day: make([]int, n)}
	var ar float64 // AR(1) noise: weather, events
	for t := range n {
		h, d := t%24, (t/24)%7
		s.Hour[t], s.Day[t] = h, d
		z1, z2 := r.NormPair()
		ar = 0.8*ar + 0.02*z1
		season := 1 + 0.12*math.Cos(2*math.Pi*float64(t)/(24*365)) // yearly: winter peak
		trend := 1 + 0.1*float64(t)/float64(n)                     // +10% over the series
		s.Load[t] = profile(float64(h), d >= 5)*season*trend + ar + 0.01*z2
	}
	return s
}

// profile is the mean load at hour h of a weekday or weekend day.
func profile(h float64, weekend bool) float64 {
	bump := func(mu, sigma float64) float64 {
		d := h - mu
		return math.Exp(-d * d / (2 * sigma * sigma))
	}
	base := 0.7 + 0.1*math.Cos(2*math.Pi*(h-15)/24) // warmer afternoons, quiet nights
	if weekend {
		return 0.9 * (base + 0.2*bump(11, 2.5) + 0.35*bump(19.5, 2))
	}
	return base + 0.4*bump(8, 1.5) + 0.3*bump(13, 3) + 0.45*bump(19, 2)
}

// windows cuts the series into forecasting samples: sample i reads hours
// [lo+i, lo+i+T) (x, T×features values) and predicts the load of the next
// hour (y), for every target hour in [lo+T, hi). Loads are normalized
// with mean and std.
func windows(s *series, lo, hi, T int, mean, std float64) dlcrt.Dataset[float32, float32] {
	n := max(hi-lo-T, 0)
	x := make([]float32, 0, n*T*features)
	y := make([]float32, 0, n)
	for i := range n {
		for t := lo + i; t < lo+i+T; t++ {
			x = append(x, hourFeatures(s, t, mean, std)...)
		}
		y = append(y, float32((s.Load[lo+i+T]-mean)/std))
	}
	return dlcrt.Dataset[float32, float32]{X: x, Y: y, XRow: T * features, YRow: 1}
}

// hourFeatures returns the features of hour t.
func hourFeatures(s *series, t int, mean, std float64) []float32 {
	hr := 2 * math.Pi * float64(s.Hour[t]) / 24
	dw := 2 * math.Pi * float64(s.Day[t]) / 7
	return []float32{
		float32((s.Load[t] - mean) / std),
		float32(math.Sin(hr)), float32(math.Cos(hr)),
		float32(math.Sin(dw)), float32(math.Cos(dw)),
	}
}

// baselines returns the test MSE of two naive forecasts of d's targets:
// the last value seen and the value 24 hours before the target (seasonal
// naive; needs T >= 24).
func baselines(d dlcrt.Dataset[float32, float32]) (last, seasonal float64) {
	T := d.XRow / features
	for i := range d.Len() {
		row := d.X[i*d.XRow:]
		y := float64(d.Y[i])
		e1 := float64(row[(T-1)*features]) - y
		e2 := float64(row[(T-24)*features]) - y
		last += e1 * e1
		seasonal += e2 * e2
	}
	n := float64(d.Len())
	return last / n, seasonal / n
}
