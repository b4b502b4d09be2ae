"""The model (model), its tokenizer (tokenizer) and instruction grammar (asmgrammar), what a retrieval-
reading model reads (reading), decoding (decode), training (train) and a probe of the encoder (probe)."""
