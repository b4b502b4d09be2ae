"""What a retrieval-reading model's encoder reads for one piece: the piece's prompt, then the translation
memory's pieces of the nearest keys (memory.store.Memory.candidates), each after the token of its level
(`<mem:exact>`, `<mem:template>`, ...), or `<mem:none>` when the memory holds nothing near.

The model writes every token of the piece. It is trained leave-one-out (memory.store.LeaveOneOut: a training
function never finds its own pieces), so it learns when a candidate is the answer, when it is one edit
away and when it says nothing.
"""
from __future__ import annotations

from . import tokenizer as T
from ..memory.store import Hit
from ..prompts import Prompt


def text(prompt: Prompt, hits: list[Hit]) -> str:
    return prompt.render() + ("".join(T.MEMORY_TOKENS[h.level] + h.piece for h in hits) or T.NO_MEMORY)


def ids(tok, prompt: Prompt, hits: list[Hit], limit: int) -> list[int]:
    """The encoder's input ids: the prompt and as many of the nearest candidates as fit in `limit`
    tokens (the prompt alone may not fit: the caller decides what that means)."""
    for n in range(len(hits), 0, -1):
        out = T.encode(tok, text(prompt, hits[:n]))
        if len(out) <= limit:
            return out
    return T.encode(tok, text(prompt, []))
