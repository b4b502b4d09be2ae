"""The translator: C in, assembly out, one piece of gcc -O0's layout at a time.

    front/    reading C: lowering to three-address code, the skeleton of pieces (csource, lower, skeleton)
    prompts   what the model and the memory read for one piece, and its canonical names and types
    memory/   the translation memory: gcc's pieces by prompt, their templates (store, templates, ...)
    neural/   the model, its tokenizer and grammar, decoding, training (model, decode, train, ...)
    back/     cutting gcc's code into pieces, putting pieces back together, the frame layout
    data/     training data: corpus records to (prompt, piece) records and samples (prepare, samples, ...)
    cli       `neuralcc train`, `neuralcc translate`, `neuralcc prepare-data`

A translation runs front -> prompts -> memory or neural -> back; data/, neural/train.py and
neural/probe.py are training's (a translation imports none of them).
"""
