package dataset

// DropPromptFills is why a preference pair is dropped when, truncated to
// the maximum length, a side keeps no token of its answer: the prompt
// alone fills the maximum length, and a side with nothing trained gives
// the preference loss nothing to compare.
const DropPromptFills = "the prompt fills max_seq_len"

// FitPair applies the length policy to both sides of a preference pair
// (chosen and rejected, each the prompt with its answer), which is kept or
// dropped whole: "drop" drops it when either side is longer than maxLen;
// "truncate" keeps each side's first maxLen tokens and drops the pair
// (DropPromptFills) when a side then trains nothing. keepChosen and
// keepRejected are the tokens kept of each side.
func FitPair(chosen, rejected []bool, maxLen int, policy Truncation) (keepChosen, keepRejected int, truncated bool, drop string) {
	if maxLen > 0 && policy == DropLong && (len(chosen) > maxLen || len(rejected) > maxLen) {
		return 0, 0, false, DropTooLong
	}
	kc, tc, dc := Fit(chosen, maxLen, policy)
	kr, tr, dr := Fit(rejected, maxLen, policy)
	for _, d := range []string{dc, dr} {
		switch d {
		case "":
		case DropCutAway:
			return 0, 0, false, DropPromptFills
		default:
			return 0, 0, false, d
		}
	}
	return kc, kr, tc || tr, ""
}
