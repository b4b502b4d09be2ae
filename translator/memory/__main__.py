"""`python -m neuralcc.translator.memory --model DIR --data DIR... [--fresh] [--fill]`: build a model's
translation memory. Building a memory is training's work: the command lives in data/samples.py."""
if __name__ == "__main__":
    import sys

    from ..data.samples import memory_main

    sys.exit(memory_main())
