"""`neuralcc eval` and `neuralcc report` (being written)."""


def register(sub) -> None:
    pass
