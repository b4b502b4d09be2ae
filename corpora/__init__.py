"""neuralcc.corpora: synthetic-v1 generator, kernels-v0, real-corpus loaders, gcc-labelled pair shards.

Stable API (used by the harness and the translator):
  load_benchmarks(uri_or_path, shared_dir=None, limit=None) -> list[Benchmark]
  Benchmark(uri, source, entry, test_source, features, meta)
  iter_pairs(path_or_dir, split="train") -> iterator of labelled-pair records
  gcc_command(arch, opt) -> the label compile command
  normalize_asm(asm, arch) -> normalised assembly text
  label_single(source, arch, opt) -> Label(asm, lines, error): one unit compiled and normalised
"""
from .gcc import gcc_command
from .label import label_single
from .loaders import Benchmark, CorpusError, CorpusMissing, load_benchmarks
from .normalize import normalize_asm
from .shards import iter_pairs

__all__ = ["Benchmark", "CorpusError", "CorpusMissing", "gcc_command", "iter_pairs", "label_single", "load_benchmarks",
           "normalize_asm"]
