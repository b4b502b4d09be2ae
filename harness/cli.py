"""`neuralcc`: the research command line. Each package contributes its own subcommands."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from neuralcc.verifier import cli as verifier_cli
    from neuralcc.corpora import cli as corpora_cli
    from neuralcc.translator import cli as translator_cli
    from neuralcc.harness import eval_cli
    from neuralcc.harness.ncc import report as ncc_report

    parser = argparse.ArgumentParser(
        prog="neuralcc",
        description="Neural C-to-assembly translation with a differential verifier.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (verifier_cli, corpora_cli, translator_cli, eval_cli, ncc_report):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("neuralcc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141


if __name__ == "__main__":
    sys.exit(main())
