package main

import (
	"fmt"
	"os"

	dlcrt "github.com/dlc-lang/dlc/runtime"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// plotCurve draws the training curve of history to a PNG file at path: the
// train and test losses per epoch above, the test accuracy below.
func plotCurve(history []dlcrt.EpochStats, path string) error {
	trainLoss := make(plotter.XYs, len(history))
	testLoss := make(plotter.XYs, len(history))
	testAcc := make(plotter.XYs, len(history))
	for i, s := range history {
		x := float64(s.Epoch)
		trainLoss[i] = plotter.XY{X: x, Y: s.Loss}
		testLoss[i] = plotter.XY{X: x, Y: s.EvalLoss}
		testAcc[i] = plotter.XY{X: x, Y: 100 * s.EvalAcc}
	}

	loss := plot.New()
	loss.Title.Text = "LeNet-5 on MNIST"
	loss.Y.Label.Text = "cross-entropy loss"
	loss.Legend.Top = true
	if err := plotutil.AddLinePoints(loss, "train", trainLoss, "test", testLoss); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	acc := plot.New()
	acc.X.Label.Text = "epoch"
	acc.Y.Label.Text = "test accuracy (%)"
	if err := plotutil.AddLinePoints(acc, testAcc); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	for _, p := range []*plot.Plot{loss, acc} {
		p.X.Tick.Marker = plot.TickerFunc(epochTicks)
		p.Add(plotter.NewGrid())
	}

	img := vgimg.New(6*vg.Inch, 6*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4),
		PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{loss}, {acc}}, tiles, dc)
	loss.Draw(canvases[0][0])
	acc.Draw(canvases[1][0])

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// epochTicks labels the whole epochs in [lo, hi].
func epochTicks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	step := 1
	for int(hi-lo)/step > 10 {
		step *= 2
	}
	for e := int(lo); float64(e) <= hi; e += step {
		if float64(e) >= lo {
			ticks = append(ticks, plot.Tick{Value: float64(e), Label: fmt.Sprint(e)})
		}
	}
	return ticks
}
