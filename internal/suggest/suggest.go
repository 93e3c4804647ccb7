// Package suggest finds the closest of a few known names to a mistyped
// one, for "did you mean" hints in error messages.
package suggest

import (
	"fmt"
	"strings"
)

// DidYouMean returns `did you mean "x"?` for the candidate closest to got
// (case-insensitive Damerau–Levenshtein distance, at most a third of its
// length and never more than 3), or "" when none is close.
func DidYouMean(got string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := Distance(strings.ToLower(got), strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := min(max(len(got)/3, 1), 3)
	if best == "" || bestDist > limit {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// Distance is the Damerau–Levenshtein distance of a and b, counting runes,
// with adjacent swaps as one edit.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
