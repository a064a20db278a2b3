// Package dataset reads chat datasets as users bring them — parquet (as
// the hub stores FineTome-100k), json, jsonl or csv, one file, a folder
// of shards or a hub download — and turns every row into one
// standardized Conversation, whatever the source format (ShareGPT,
// OpenAI messages, Alpaca, raw text, preference pairs for DPO and ORPO).
// A .txt file is one row of raw text, so a folder of them is a corpus
// for continued pretraining.
//
// Rows are streamed, never loaded whole. The format is detected from the
// columns and a sample of rows, with a confidence and a reason a person
// can read, and any part of the mapping (columns, keys, role names) can
// be overridden. Every problem is an *Error naming the file, row (and
// line) and field, with a kind for errors.Is; row-level problems can be
// skipped and counted instead.
//
// Nothing in a file can take unbounded memory or time: a row over
// Options.MaxRowBytes is refused (found without holding it, where the
// format allows), a folder scan stops at MaxScanDepth and MaxScanEntries,
// text that is not UTF-8 and JSON objects with a duplicated key are row
// errors rather than silently repaired, every long operation follows its
// context, and a row far over the maximum length is cut before it is
// tokenized (see CutMarginTokens for why that changes no trained token).
//
// Preview and ComputeStats show a dataset the way training will see it,
// through a Labeler (implemented by backend/batch over a tokenizer and a
// chat template): rendered text, tokens, which ones are trained on, and
// what the maximum length would cut or drop.
package dataset
