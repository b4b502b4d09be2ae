"""The translation memory: gcc's pieces from the training data, looked up by their prompt (store), at the
nearest of several levels of key; templates of pieces filled with a prompt's numbers (templates), keyed
by which instructions each literal fits (immediates); statements on structs keyed by the struct's layout
(structlayout). Building one is training's work: `python -m neuralcc.translator.memory` (__main__)."""
