package dataset

import (
	"context"
	"errors"
	"io"
)

// PreviewOptions selects a page of rows.
type PreviewOptions struct {
	Page     int // 0-based
	PageSize int // default 20
	// MaxLen marks the tokens a truncation would cut (0: no limit); text
	// far beyond it is cut before tokenizing (see CutMarginTokens).
	MaxLen int
	// Counts, when known from an earlier preview of the same files read
	// with the same options, spare reading past the page.
	Counts *PreviewCounts
}

// PreviewCounts is what a preview learns by reading a dataset to its end.
type PreviewCounts struct {
	Total, Skipped int
	Problems       []string
}

// PreviewToken is one token of a previewed row, as the UI highlights it.
type PreviewToken struct {
	ID        int    `json:"id"`
	Start     int    `json:"start"` // byte offsets into PreviewRow.Text
	End       int    `json:"end"`
	Text      string `json:"text"`
	Trainable bool   `json:"trainable"`
	Cut       bool   `json:"cut,omitempty"` // beyond MaxLen: never seen in training
}

// PreviewRow is one standardized row, rendered and tokenized. A
// preference pair shows its prompt (Messages) and both answers; Text to
// TextCut are then its chosen side (the prompt with the chosen answer),
// and RejectedSide the prompt with the rejected answer.
type PreviewRow struct {
	Row      int       `json:"row"`
	Messages []Message `json:"messages,omitempty"`
	// Chosen and Rejected are a pair's answers (see Conversation).
	Chosen    []Message      `json:"chosen,omitempty"`
	Rejected  []Message      `json:"rejected,omitempty"`
	Text      string         `json:"text"` // exactly what the model is fed
	Spans     [][2]int       `json:"spans,omitempty"`
	Tokens    []PreviewToken `json:"tokens,omitempty"`
	Trainable int            `json:"trainable"`
	Truncated bool           `json:"truncated,omitempty"`
	// TextCut: the row was so far over MaxLen that its text was cut before
	// tokenizing; Text and Tokens end early, the first MaxLen are exact.
	TextCut bool `json:"text_cut,omitempty"`
	// RejectedSide is a pair's rejected side, rendered and tokenized like
	// the chosen one above; nil for every other row.
	RejectedSide *PreviewSide `json:"rejected_side,omitempty"`
	Error        string       `json:"error,omitempty"` // why the template refused it
}

// PreviewSide is one side of a preference pair as the model is fed it,
// with the same meanings as PreviewRow's fields of the same names.
type PreviewSide struct {
	Text      string         `json:"text"`
	Spans     [][2]int       `json:"spans,omitempty"`
	Tokens    []PreviewToken `json:"tokens,omitempty"`
	Trainable int            `json:"trainable"`
	Truncated bool           `json:"truncated,omitempty"`
	TextCut   bool           `json:"text_cut,omitempty"`
}

// PreviewPage is a page of rows plus what was skipped to reach them.
type PreviewPage struct {
	Detection Detection    `json:"detection"`
	Page      int          `json:"page"`
	PageSize  int          `json:"page_size"`
	Rows      []PreviewRow `json:"rows"`
	HasMore   bool         `json:"has_more"`
	// Total is how many usable rows the whole dataset (every file) has,
	// the rows pages are cut from; Skipped how many bad rows it has.
	Total   int `json:"total"`
	Skipped int `json:"skipped"`
	// Problems are the first bad rows of the dataset (at most
	// MaxListedBadRows); they are skipped so a preview always shows
	// something.
	Problems []string `json:"problems,omitempty"`
}

// Preview reads one page of a file. With a nil labeler it shows messages
// only; with one, it also shows the exact rendered text and the tokens
// with their trainable flags. It stops with ctx's error when ctx ends.
func Preview(ctx context.Context, path string, opts Options, l Labeler, p PreviewOptions) (*PreviewPage, error) {
	if p.PageSize <= 0 {
		p.PageSize = 20
	}
	if p.Page < 0 {
		p.Page = 0
	}
	opts.SkipBadRows, opts.MaxBadRows = true, 0
	s, err := NewScanner(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	page := &PreviewPage{Detection: s.Detection(), Page: p.Page, PageSize: p.PageSize}
	first := p.Page * p.PageSize
	// The scan goes on past the page to count the rows: a pager needs the
	// total, and reading on only standardizes, it renders nothing.
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if page.Total >= first && len(page.Rows) < p.PageSize {
			page.Rows = append(page.Rows, PreviewConversation(c, l, p.MaxLen))
		}
		page.Total++
		if p.Counts != nil && len(page.Rows) == p.PageSize {
			break
		}
	}
	if c := p.Counts; c != nil {
		page.Total, page.Skipped, page.Problems = c.Total, c.Skipped, c.Problems
	} else {
		page.Skipped = s.Skipped()
		for _, e := range s.Problems() {
			page.Problems = append(page.Problems, e.Error())
		}
	}
	page.HasMore = page.Total > first+len(page.Rows)
	return page, nil
}

// Counts are the page's counts, to pass to the next page's preview.
func (pg *PreviewPage) Counts() *PreviewCounts {
	return &PreviewCounts{Total: pg.Total, Skipped: pg.Skipped, Problems: pg.Problems}
}

// PreviewConversation renders one conversation for display (a pair's
// both sides).
func PreviewConversation(c Conversation, l Labeler, maxLen int) PreviewRow {
	row := PreviewRow{Row: c.Row, Messages: c.Messages, Chosen: c.Chosen, Rejected: c.Rejected}
	if c.IsText() {
		row.Text = c.Text
	}
	if l == nil {
		return row
	}
	lab, err := labelRow(l, c, textBudget(l, maxLen))
	if err != nil {
		row.Error = err.Error()
		return row
	}
	side := previewSide(lab, maxLen)
	row.Text, row.Spans, row.Tokens, row.Trainable, row.Truncated, row.TextCut =
		side.Text, side.Spans, side.Tokens, side.Trainable, side.Truncated, side.TextCut
	if lab.Rejected != nil {
		r := previewSide(*lab.Rejected, maxLen)
		row.RejectedSide = &r
	}
	return row
}

// previewSide lays out one labeled text's tokens for display, marking
// those past maxLen as cut.
func previewSide(lab Labeled, maxLen int) PreviewSide {
	side := PreviewSide{Text: lab.Text, Spans: lab.Spans, TextCut: lab.Cut, Tokens: make([]PreviewToken, len(lab.IDs))}
	for i, id := range lab.IDs {
		off := lab.Offsets[i]
		cut := maxLen > 0 && i >= maxLen
		side.Tokens[i] = PreviewToken{ID: id, Start: off[0], End: off[1], Text: lab.Text[off[0]:off[1]], Trainable: lab.Trainable[i], Cut: cut}
		if lab.Trainable[i] && !cut {
			side.Trainable++
		}
	}
	side.Truncated = maxLen > 0 && len(lab.IDs) > maxLen
	return side
}
