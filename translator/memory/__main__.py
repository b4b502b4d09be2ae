"""`python -m neuralcc.translator.memory --model DIR --data DIR... [--fresh] [--fill]`: build a model's
translation memory. Building a memory is training's work: the command lives in data/records.py."""
if __name__ == "__main__":
    import sys

    from ..data.records import memory_main

    sys.exit(memory_main())
