"""`neuralcc train` and `neuralcc translate`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train or fine-tune the C-to-assembly model")
    p.add_argument("--data", required=True, nargs="+", help="directories of corpus shards (JSONL, maybe .gz)")
    p.add_argument("--out", required=True, help="output directory (checkpoint/ and log.jsonl)")
    p.add_argument("--init", help="local HF seq2seq checkpoint + tokenizer to fine-tune")
    p.add_argument("--minutes", type=float, default=0.0, help="training time budget (0 = none)")
    p.add_argument("--steps", type=int, default=0, help="optimizer steps (0 = none)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint")
    p.add_argument("--arch", nargs="+", default=["x86-64", "aarch64"])
    p.add_argument("--opt", nargs="+", default=["O0"])
    p.add_argument("--batch-tokens", type=int, default=6000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup-steps", type=int, default=200)
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--eval-minutes", type=float, default=15.0)
    p.add_argument("--eval-functions", type=int, default=24)
    p.add_argument("--max-records", type=int, default=0)
    p.add_argument("--seed", type=int, default=0,
                   help="data order and initialisation; --init from a model trained on the same --data with the "
                        "same seed continues that model's data order where it stopped")
    p.add_argument("--max-target-tokens", type=int, default=0,
                   help="longest target (one piece) to train on and decode (default: the model's)")
    p.add_argument("--keep-names", action="store_true",
                   help="keep the C's variable names (default: canonical names per piece)")
    p.add_argument("--keep-types", action="store_true",
                   help="keep the C's integer type spellings (default: one per type, e.g. "
                        "int32_t -> int, size_t -> unsigned long)")
    p.add_argument("--no-position-heads", action="store_true",
                   help="--init from a T5 without position heads: leave its attention as it is (default: fix "
                        "two encoder heads on the tokens left and right, two decoder heads on the previous two; "
                        "translator/neural/model.py)")
    p.add_argument("--lower", nargs="?", const=True, default=False, choices=["atoms"],
                   help="the data is lowered to one operation per statement (neuralcc prepare-data --lower ops), "
                        "or with `--lower atoms` to three-address code (prepare-data's default); the model's "
                        "translations will lower their C the same way (translator/front/lower.py)")
    p.add_argument("--no-bf16", action="store_true", help="train in fp32 (bf16 autocast is the default)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: one core per job)")
    p.add_argument("--retrieval", type=int, default=0, metavar="K",
                   help="a retrieval-reading model: each prompt is followed by the translation memory's pieces of "
                        "its K nearest keys, the training functions' own pieces left out "
                        "(translator/neural/reading.py; default 0: the prompt alone)")
    p.add_argument("--fill", nargs="+", default=[], metavar="DIR",
                   help="more record directories to train on whose pieces only fill keys the memory lacks (as "
                        "`memory --fill`: compile-only statements that should not outvote the kernels')")
    p.add_argument("--tokenizer", choices=("lexer", "byte-bpe"), default="lexer",
                   help="from scratch: the tokenizer to train (lexer: lexer-level pieces, digits split, the default; "
                        "byte-bpe: GPT-2 style byte-level BPE, the measured alternative "
                        "(translator/neural/tokenizer.py); its models decode without the grammars, which read lexer "
                        "pieces)")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("translate", help="translate a C function to assembly")
    p.add_argument("file", help="C source file")
    p.add_argument("--arch", choices=("x86-64", "aarch64"), default="x86-64")
    p.add_argument("--opt", choices=("O0", "O1", "O2", "Os"), default="O0")
    p.add_argument("--function", help="function to translate (default: the last one defined)")
    p.add_argument("-n", type=int, default=1, help="number of samples (with --temperature)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--beam", type=int, default=1)
    p.add_argument("--no-grammar", action="store_true",
                   help="let the model leave gcc's instruction grammar and name any stack slot (default: kept to "
                        "the grammar when the model has the table, config.json: neuralcc_operands, see "
                        "translator/neural/asmgrammar.py; a slot names only the piece's variables, "
                        "decode.SlotGrammar)")
    p.add_argument("--memory-first", action="store_true",
                   help="take each piece whose prompt the translation memory beside the model holds from the "
                        "memory (gcc's piece for the nearest key in the training data); the model writes the rest "
                        "and, with -n, in samples after the first, also the pieces the memory holds only at a level "
                        "that is not sure. Says on stderr how many pieces each wrote (translator/memory/store.py)")
    p.add_argument("--model", help="model directory (default: the packaged default model)")
    p.set_defaults(func=cmd_translate)
    from .data.prepare import register as register_prepare

    register_prepare(subparsers)


def cmd_train(args: argparse.Namespace) -> int:
    import os

    # Measured on the shared 2-core box: OpenMP's spinning waits made each step cost 3.3x
    # the CPU; passive waits give the 1-thread CPU cost at 2-thread speed. Only effective
    # before torch starts its thread pool, so launchers should also set it.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from .neural.train import TrainConfig, run

    for d in args.data:
        if not Path(d).exists():
            print(f"neuralcc train: error: {d}: no such file or directory", file=sys.stderr)
            return 2
    if args.init and not Path(args.init).is_dir():
        print(f"neuralcc train: error: {args.init}: not a model directory", file=sys.stderr)
        return 2
    if args.tokenizer != "lexer" and (args.init or args.resume):
        print("neuralcc train: error: --tokenizer chooses the tokenizer of a model trained from scratch; "
              "--init and --resume keep their checkpoint's", file=sys.stderr)
        return 2
    cfg = TrainConfig(
        data=args.data, out=args.out, init=args.init, resume=args.resume, minutes=args.minutes, steps=args.steps,
        archs=tuple(args.arch), opts=tuple(args.opt), batch_tokens=args.batch_tokens, lr=args.lr,
        warmup_steps=args.warmup_steps, ckpt_minutes=args.ckpt_minutes, eval_minutes=args.eval_minutes,
        eval_functions=args.eval_functions, max_records=args.max_records,
        seed=args.seed, bf16=not args.no_bf16, max_target_tokens=args.max_target_tokens,
        rename=not args.keep_names, types=not args.keep_types, position_heads=not args.no_position_heads,
        lower=args.lower, tokenizer=args.tokenizer, threads=args.threads, retrieval=args.retrieval, fill=args.fill,
    )
    return run(cfg)


def cmd_translate(args: argparse.Namespace) -> int:
    def fail(msg: str) -> int:
        print(f"neuralcc translate: error: {args.file}: {msg}", file=sys.stderr)
        return 2

    path = Path(args.file)
    if not path.is_file():
        return fail("no such file")
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        return fail(f"cannot read: {e.__class__.__name__}")
    if args.n < 1 or args.beam < 1 or args.temperature < 0:
        return fail("-n and --beam must be >= 1, --temperature >= 0")
    if args.n > 1 and args.temperature == 0:
        return fail("-n > 1 needs --temperature > 0 (greedy gives one answer)")

    import torch

    from .front.csource import SourceError
    from .neural.decode import DEFAULT_MODEL, DecodeOptions, NeuralTranslator

    model_dir = Path(args.model) if args.model else DEFAULT_MODEL
    if not (model_dir / "config.json").is_file():
        return fail(f"no model in {model_dir}")
    torch.set_num_threads(1)
    try:
        tr = NeuralTranslator(model_dir)
    except ValueError as e:  # a model of a retired experiment (model.check_supported)
        return fail(f"{model_dir}: {e}")
    opt = DecodeOptions(n=args.n, temperature=args.temperature, seed=args.seed, beam=args.beam,
                        grammar=not args.no_grammar, memory_first=args.memory_first)
    try:
        outs = tr.translate(source, args.arch, args.opt, entry=args.function, opt=opt)
    except SourceError as e:
        return fail(str(e))
    for i, out in enumerate(outs):
        if out.truncated:
            print(f"neuralcc translate: warning: {args.file}: output truncated at the length cap "
                  f"({', '.join(out.truncated)})", file=sys.stderr)
        if not out.asm:
            print(f"neuralcc translate: warning: {args.file}: the model produced no assembly", file=sys.stderr)
        if args.memory_first:
            print(f"neuralcc translate: {args.file}: {out.from_memory} of {len(out.pieces)} pieces from the translation "
                  f"memory, {len(out.pieces) - out.from_memory} written by the model", file=sys.stderr)
        if out.lowered and i == 0:
            print(f"neuralcc translate: {args.file}: {out.lowered} statements rewritten to one operation each "
                  f"before translation (translator/front/lower.py)", file=sys.stderr)
        if len(outs) > 1:
            print(f"# sample {i}")
        sys.stdout.write(out.asm)
    return 0
