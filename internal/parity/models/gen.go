// Package models holds dlc-generated packages of the PyTorch parity
// fixtures in testdata/torchref, committed so that the parity tests import
// them directly. Regenerate with go generate; internal/driver's staleness
// test fails when they drift from what the compiler produces.
package models

//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o mlp -pkg mlp ../../../testdata/torchref/mlp.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o mlp64 -pkg mlp64 -dtype f64 ../../../testdata/torchref/mlp.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o mlp_sgd -pkg mlp_sgd ../../../testdata/torchref/mlp_sgd.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o mlp_adamw -pkg mlp_adamw ../../../testdata/torchref/mlp_adamw.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o mlp_rmsprop -pkg mlp_rmsprop ../../../testdata/torchref/mlp_rmsprop.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o lenet -pkg lenet ../../../testdata/torchref/lenet.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o lstm -pkg lstm ../../../testdata/torchref/lstm.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o gru -pkg gru ../../../testdata/torchref/gru.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o layernorm -pkg layernorm ../../../testdata/torchref/layernorm.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o cnn_bn -pkg cnn_bn ../../../testdata/torchref/cnn_bn.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o pad_bn -pkg pad_bn ../../../testdata/torchref/pad_bn.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o rnn_state -pkg rnn_state ../../../testdata/torchref/rnn_state.dl

// The seed models of testdata/models, for the differential test against ir/interp.
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o seedmlp -pkg seedmlp ../../../testdata/models/mlp.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o seedlenet -pkg seedlenet ../../../testdata/models/lenet.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o seedlstm -pkg seedlstm ../../../testdata/models/lstm.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o seedfinetune -pkg seedfinetune ../../../testdata/models/finetune.dl

// LeNet in float64 with the gradient of its input, for the finite-difference check of -grad-input.
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o lenetgrad64 -pkg lenetgrad64 -dtype f64 -grad-input x ../../../testdata/torchref/lenet.dl

// The seed MLP and LeNet with -d=poison: memory is NaN-filled before every write, so a wrong reuse fails the interpreter comparison.
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o seedmlppoison -pkg seedmlppoison -d=poison ../../../testdata/models/mlp.dl
//go:generate go run github.com/dlc-lang/dlc/cmd/dlc build -o seedlenetpoison -pkg seedlenetpoison -d=poison ../../../testdata/models/lenet.dl
