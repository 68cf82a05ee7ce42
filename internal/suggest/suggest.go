// Package suggest finds the likely intended word for a mistyped one: a
// step id, an activity, a variable, a command or a flag.
package suggest

import "unicode/utf8"

// Closest returns the candidate closest to name, and false when none is
// close enough to be a likely typo: at most a third of the name (and at
// least one character) may be wrong.
func Closest(name string, candidates []string) (string, bool) {
	best, bestDist := "", max(1, utf8.RuneCountInString(name)/3)+1
	for _, cand := range candidates {
		if d := Distance(name, cand); d < bestDist {
			best, bestDist = cand, d
		}
	}
	return best, best != ""
}

// Distance counts the insertions, deletions, substitutions and swaps of
// adjacent runes that turn a into b (optimal string alignment): a swap is
// the most common typo ("chrage", "inptu") and counts as one.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
