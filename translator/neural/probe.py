"""Does a model's encoder see token order? Prints, for a few prompts, how much the encoder's output
changes when the prompt's tokens are shuffled (0 = a bag of tokens), and each encoder head's mean
attention on the token to its left and to its right.

    python -m neuralcc.translator.neural.probe --model translator/default_model

A probe found the encoder of every model trained here until then order-blind (translator/neural/model.py,
"Position heads"); this is the measurement behind that.
"""
from __future__ import annotations

import argparse
import sys

import torch

from . import model as M, tokenizer as T

PROMPTS = (
    "<x86-64><O0><chunks>stmt: VA = VB - VC;<sep>long VA; int VB; int VC;<sep>",
    "<aarch64><O0><chunks>return: return (VA << 3) - 12;<sep>unsigned int VA;<sep> | returns int",
    "<x86-64><O0><chunks>if: if (VA[VB] < VC) {<sep>short * VA; int VB; int VC;<sep>then <C4> else <C7> next <C4>",
)


def order_change(model, ids: list[int], seed: int = 0) -> float:
    """max |enc(shuffled) - shuffled enc| / mean |enc|: 0 when the encoder ignores order."""
    x = torch.tensor([ids])
    perm = torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        enc = model.get_encoder()(input_ids=x).last_hidden_state[0]
        shuffled = model.get_encoder()(input_ids=x[:, perm]).last_hidden_state[0]
    return float((enc[perm] - shuffled).abs().max() / enc.abs().mean())


def neighbour_attention(model, ids: list[int]) -> torch.Tensor:
    """(layer, head, 2): mean attention each encoder head pays to the token left / right of each token."""
    model.config._attn_implementation = "eager"  # sdpa returns no attention weights
    for block in model.encoder.block:
        block.layer[0].SelfAttention.config._attn_implementation = "eager"
    with torch.no_grad():
        att = torch.stack(model.get_encoder()(input_ids=torch.tensor([ids]), output_attentions=True).attentions)[:, 0]
    n = len(ids)
    left = att[:, :, torch.arange(1, n), torch.arange(0, n - 1)].mean(-1)
    right = att[:, :, torch.arange(0, n - 1), torch.arange(1, n)].mean(-1)
    return torch.stack([left, right], dim=-1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(M.__file__).rsplit("/", 2)[0] + "/default_model", help="model directory")
    args = ap.parse_args(argv)
    model, tok = M.load(args.model), T.load(args.model)
    model.eval()
    if not hasattr(model, "encoder") or not hasattr(model.encoder, "block"):
        print(f"probe: {args.model}: not a T5 (this probe reads T5's encoder blocks)", file=sys.stderr)
        return 2
    print(f"{args.model}: position heads {getattr(model.config, 'neuralcc_position_heads', None) or 'none'}")
    for prompt in PROMPTS:
        ids = T.encode(tok, prompt)
        att = neighbour_attention(model, ids)
        print(f"\n{prompt}\n  output change with the tokens shuffled: {order_change(model, ids):.1%}")
        for layer, heads in enumerate(att.tolist()):
            cells = "  ".join(f"h{h} {l:.2f}/{r:.2f}" for h, (l, r) in enumerate(heads))
            print(f"  layer {layer} attention left/right: {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
