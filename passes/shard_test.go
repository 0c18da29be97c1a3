package passes

import (
	"strings"
	"testing"

	"github.com/dlc-lang/dlc/ir"
)

// TestShard lowers the example models at batch 64 and 32 and checks which
// train funcs run in parts, and why the others do not.
func TestShard(t *testing.T) {
	for _, c := range []struct {
		model  string
		batch  int
		cfg    Config
		shards int
		why    string // part of shardable's reason when shards is 0
	}{
		{"lenet", 64, Config{}, 2, ""},
		{"mlp", 64, Config{}, 2, ""},
		{"lstm", 64, Config{}, 2, ""},
		{"gru", 64, Config{}, 2, ""},
		{"finetune", 64, Config{}, 2, ""},
		{"custom", 64, Config{}, 2, ""},
		{"lenet", 32, Config{}, 0, ""},                                         // too few rows per part
		{"lenet", 64, Config{GradInputs: []string{"x"}}, 0, "grad.x"},          // a batched result
		{"lenet", 64, Config{Disabled: map[string]bool{"shard": true}}, 0, ""}, // -d=off=shard
		{"cnn_bn", 64, Config{}, 0, "batch"},                                   // batch norm's statistics
		{"rmsprop", 128, Config{}, 0, "batch"},
	} {
		p, err := lowerFile(t, "../testdata/models/"+c.model+".dl", LowerOptions{Batch: c.batch})
		if err != nil {
			t.Fatal(err)
		}
		if err := Run(p, c.cfg); err != nil {
			t.Fatalf("%s: %v", c.model, err)
		}
		f := p.Lookup("train")
		if f.Shards != c.shards {
			t.Errorf("%s batch %d %+v: %d shards, want %d", c.model, c.batch, c.cfg, f.Shards, c.shards)
		}
		if c.why != "" {
			if err := shardable(f); err == nil || !strings.Contains(err.Error(), c.why) {
				t.Errorf("%s: shardable = %v, want an error about %q", c.model, err, c.why)
			}
		}
		if f.Shards > 1 {
			if rows := f.ShardRows(p.Batch); rows != (c.batch+1)/2 || f.Plan.Shards != f.Shards {
				t.Errorf("%s: %d rows per part, plan for %d parts", c.model, rows, f.Plan.Shards)
			}
		}
	}
}

// TestShardRejects checks hand-written train funcs that must stay whole.
func TestShardRejects(t *testing.T) {
	for _, c := range []struct{ name, body, why string }{
		{"partial feeds rows", `
  %0 = input {name="x"} : f32[B,4]
  %1 = sum %0 {axes=[0], keepdims=false} : f32[4]
  %2 = add %0, %1 : f32[B,4]
  %3 = mean %2 {axes=[0,1], keepdims=false} : f32[]
  result loss = %3`, "partial sum"},
		{"max over the batch", `
  %0 = input {name="x"} : f32[B,4]
  %1 = max %0 {axes=[0], keepdims=false} : f32[4]
  %2 = sum %1 {axes=[0], keepdims=false} : f32[]
  result loss = %2`, "reduces over the batch"},
		{"softmax over the batch", `
  %0 = input {name="x"} : f32[B,4]
  %1 = softmax %0 {axis=0} : f32[B,4]
  %2 = mean %1 {axes=[0,1], keepdims=false} : f32[]
  result loss = %2`, "batch axis"},
		{"dropout", `
  %0 = input {name="x"} : f32[B,4]
  %1 = dropout_mask {p=0.5, seed=1, layer=0} : f32[B,4]
  %2 = mul %0, %1 : f32[B,4]
  %3 = mean %2 {axes=[0,1], keepdims=false} : f32[]
  result loss = %3`, "dropout"},
		{"loss not a reduction", `
  %0 = input {name="x"} : f32[B,4]
  %1 = sum %0 {axes=[1], keepdims=false} : f32[B]
  result loss = %1`, "loss"},
	} {
		p, err := ir.Parse("program t batch=64\ninput x f32[B,4]\nfunc train {" + c.body + "\n}\n")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := shardable(p.Lookup("train")); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: shardable = %v, want an error about %q", c.name, err, c.why)
		}
	}
}

// TestShardsRoundTrip prints and parses a split func.
func TestShardsRoundTrip(t *testing.T) {
	src := "program t batch=64\ninput x f32[B,4]\nfunc train shards=2 {\n  %0 = input {name=\"x\"} : f32[B,4]\n  %1 = mean %0 {axes=[0,1], keepdims=false} : f32[]\n  result loss = %1\n}\n"
	p, err := ir.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if f := p.Lookup("train"); f.Shards != 2 {
		t.Fatalf("shards = %d", f.Shards)
	}
	if !strings.Contains(p.String(), "func train shards=2 {") {
		t.Errorf("printed:\n%s", p)
	}
}
