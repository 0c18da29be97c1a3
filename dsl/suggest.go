package dsl

import "strings"

// Suggest returns the candidate closest to name, for "did you mean" hints,
// or "" if none is close or name is itself a candidate. Closeness is the optimal string alignment
// distance (edits, with adjacent transpositions counting once): at most one
// edit per three characters of name, and fewer edits than name has
// characters. A candidate differing only in case always matches. Ties go to
// the earlier candidate.
func Suggest(name string, candidates []string) string {
	for _, c := range candidates {
		if c == name {
			return "" // name is known: nothing to suggest
		}
	}
	best, bestDist := "", 0
	limit := max(1, len([]rune(name))/3)
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
		d := editDistance([]rune(name), []rune(c))
		if d > limit || d >= len([]rune(name)) {
			continue
		}
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b []rune) int {
	// d[i][j] is the distance between a[:i] and b[:j]; three rows suffice.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
