package asm

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		spec GEMMSpec
		err  string
	}{
		{GEMMSpec{Name: "ok", N: 1, K: 1}, ""},
		{GEMMSpec{Name: "Ok", N: maxDim, K: maxDim, TransB: true, PackedB: true}, ""},
		{GEMMSpec{Name: "1x", N: 1, K: 1}, "not a Go identifier"},
		{GEMMSpec{Name: "func", N: 1, K: 1}, "not a Go identifier"},
		{GEMMSpec{Name: "g", N: 0, K: 1}, "N=0, K=1"},
		{GEMMSpec{Name: "g", N: 1, K: maxDim + 1}, "want 1.."},
		{GEMMSpec{Name: "g", N: 1, K: 1, PackedB: true}, "PackedB needs TransB"},
		{GEMMSpec{Name: "g", N: 1, K: 1, RowsHint: -1}, "RowsHint=-1"},
		{GEMMSpec{Name: "g", N: 1, K: 1, ChunkRows: -2}, "ChunkRows=-2"},
		{GEMMSpec{Name: "g", N: 1, K: 1, Source: "a\nb"}, "spans lines"},
	} {
		err := tc.spec.validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: got %v, want %q", tc.spec, err, tc.err)
		}
	}
}

func TestValidateSpecsNames(t *testing.T) {
	for _, tc := range []struct {
		specs []GEMMSpec
		err   string
	}{
		{[]GEMMSpec{{Name: "A", N: 1, K: 1}, {Name: "B", N: 1, K: 1}}, ""},
		{[]GEMMSpec{{Name: "A", N: 1, K: 1}, {Name: "A", N: 2, K: 1}}, "name A already used by gemm A"},
		{[]GEMMSpec{{Name: "G", N: 1, K: 1}, {Name: "gAVX2", N: 1, K: 1}}, "name gAVX2 already used"},
		{[]GEMMSpec{{Name: "W", N: 1, K: 1, TransB: true, PackedB: true}, {Name: "WPackB", N: 1, K: 1}}, "name WPackB already used"},
		{[]GEMMSpec{{Name: "useAVX2", N: 1, K: 1}}, "reserved"},
	} {
		err := validateSpecs(tc.specs)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%v: got %v, want %q", tc.specs, err, tc.err)
		}
	}
}

func TestVariantNames(t *testing.T) {
	s := GEMMSpec{Name: "GemmFc1"}
	if got := s.variant(variantAVX512); got != "gemmFc1AVX512" {
		t.Errorf("variant = %s", got)
	}
	if got := s.packName(); got != "GemmFc1PackB" {
		t.Errorf("packName = %s", got)
	}
	if got := (GEMMSpec{Name: "ÄB"}).variant(variantGeneric); got != "äBGeneric" {
		t.Errorf("variant = %s", got)
	}
}
