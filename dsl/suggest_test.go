package dsl

import "testing"

func TestSuggest(t *testing.T) {
	layers := []string{"dense", "linear", "conv2d", "maxpool2d", "avgpool2d", "relu", "gelu", "softmax", "log_softmax", "lstm", "gru"}
	tests := []struct{ name, want string }{
		{"dens", "dense"},
		{"denes", "dense"},   // transposition counts once
		{"lienar", "linear"}, // transposition
		{"conv2", "conv2d"},
		{"Dense", "dense"}, // case only
		{"maxpool", "maxpool2d"},
		{"softmx", "softmax"},
		{"logsoftmax", "log_softmax"},
		{"relu", ""}, // exact match is not a suggestion
		{"rel", "relu"},
		{"xyz", ""},
		{"l", ""}, // one letter suggests nothing
		{"", ""},
		{"transformer", ""},
		{"gru2", "gru"},
	}
	for _, tt := range tests {
		if got := Suggest(tt.name, layers); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Suggest("fc", []string{"fc1", "fc2"}); got != "fc1" {
		t.Errorf("tie: got %q, want the first candidate", got)
	}
	if got := Suggest("a", nil); got != "" {
		t.Errorf("no candidates: got %q", got)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"abc", "acb", 1}, {"ca", "abc", 3}, {"héllo", "hello", 1},
	}
	for _, tt := range tests {
		if got := editDistance([]rune(tt.a), []rune(tt.b)); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
