package codegen

import (
	"testing"

	"github.com/dlc-lang/dlc/dsl"
	"github.com/dlc-lang/dlc/passes"
)

// splitSources are models whose train step the shard pass splits in two
// halves (passes/shard.go), with the cases a split has to get right: an
// LSTM and a GRU (gradients summed over time steps in product epilogues,
// an embedding's scatter-add), frozen parameters (gradients in one range
// of the block, the rest untouched), a mean loss over two axes and
// cross-entropy's mean.
var splitSources = map[string]string{
	"splitrnn": `model splitrnn {
    batch B = 64
    input tokens: i32[B, 3]
    target y: f32[B, 2]
    emb = embedding(tokens, 7, 4)
    seq = lstm(emb, 5, return_sequences=true) as lstm1
    h = gru(seq, 3) as gru1
    pred = dense(h, 2) as fc
    output pred
    loss mse(pred, y)
    optimizer adam(lr=0.01)
}`,
	"splitfrozen": `model splitfrozen {
    batch B = 64
    input x: f32[B, 6]
    target y: i32[B]
    h = dense(x, 8, activation=relu) as body
    h2 = dense(h, 5, activation=tanh) as neck
    logits = dense(h2, 3) as head
    output logits
    loss cross_entropy(logits, y)
    optimizer sgd(lr=0.1, momentum=0.9, weight_decay=0.01)
    freeze neck
}`,
}

// splitPrograms compiles splitSources through the whole pipeline, with
// -d=poison: the execution tests compare them with the interpreter at 2
// rows (one per half) and at 64 (32 per half).
func splitPrograms(t testing.TB) []testProgram {
	var progs []testProgram
	for _, name := range sortedKeys(splitSources) {
		f, err := dsl.Parse(name+".dl", []byte(splitSources[name]))
		if err != nil {
			t.Fatal(err)
		}
		p, err := passes.Lower(f, passes.LowerOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := passes.Run(p, passes.Config{Check: true}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Lookup("train").Shards != 2 {
			t.Fatalf("%s: the train step is not split", name)
		}
		progs = append(progs, testProgram{name, p, true})
	}
	return progs
}
