"""neuralcc.cbase: the C knowledge every part of neuralcc shares, written once.

    toolchain.py    targets, compilers, gcc's flags for references and labels, the preprocessor's flags
    ctype.py        the C types and their LP64 layout
    annotations.py  the `// ncc:` annotation grammar

It imports nothing from the rest of neuralcc; verifier, corpora, translator and harness may import it.
"""
