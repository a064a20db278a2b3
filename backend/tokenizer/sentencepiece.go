package tokenizer

import "fmt"

func loadSentencePiece(dir, path string) (*Tokenizer, error) {
	return nil, fmt.Errorf("load %s: SentencePiece tokenizer.model without tokenizer.json is not supported yet", path)
}
