package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar over the steps of one epoch, drawn on stderr.
// A nil *progress draws nothing.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a bar for epoch e of n with steps steps, or nil when
// show is false. The bar goes to stderr, or nowhere when stderr is not a
// terminal (progressbar does not check).
func newProgress(show bool, steps, e, n int) *progress {
	if !show {
		return nil
	}
	var w io.Writer = os.Stderr
	if !isTerminal(os.Stderr) {
		w = io.Discard
	}
	return &progress{bar: progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", e, n)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// add counts one step.
func (p *progress) add() {
	if p != nil {
		p.bar.Add(1)
	}
}

// finish completes and clears the bar, before the epoch's line is printed.
func (p *progress) finish() {
	if p != nil {
		p.bar.Finish()
	}
}
