"""ncc's settings: NCC_* environment variables over an optional TOML file over the defaults below."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from ..translators import BEST_TRANSLATOR

MODES = ("fallback", "strict", "neural")


class SettingsError(Exception):
    pass


@dataclass
class Settings:
    mode: str = "fallback"  # fallback: gcc's code where not verified; strict: fail the build; neural: use it anyway
    translator: str = BEST_TRANSLATOR  # any `neuralcc eval --translator` spec: memory[:DIR], model+memory[:DIR], gcc[:OPT], ...
    samples: int = 1  # per function: 1 = greedy; more = sampled at `temperature`, the first verified one wins
    temperature: float = 0.8
    repair: int = 0  # guess and check: more verifier calls a function whose samples all failed may spend on
    #                  rewritten pieces (translator/repair.py); 0: off
    inputs: int = 300  # random inputs per verification
    examples: int = 50  # hypothesis examples per verification (after the random inputs)
    seed: int = 0
    threads: int = 1  # torch threads per ncc process (make -j runs several)
    cache_dir: str = ""  # default: $XDG_CACHE_HOME/neuralcc/ncc or ~/.cache/neuralcc/ncc
    report: str = ""  # append one JSON line per function here
    quiet: bool = False  # no per-unit summary on stderr

    @classmethod
    def load(cls, environ: dict | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict = {}
        config = env.get("NCC_CONFIG")
        if config:
            try:
                values.update(tomllib.loads(Path(config).read_text()).get("ncc", {}))
            except (OSError, tomllib.TOMLDecodeError) as err:
                raise SettingsError(f"NCC_CONFIG={config}: {err}") from None
        for f in fields(cls):
            key = "NCC_" + f.name.upper()
            if key in env:
                values[f.name] = env[key]
        out = cls()
        for f in fields(cls):
            if f.name not in values:
                continue
            raw = values[f.name]
            try:
                if f.type == "bool":
                    value = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
                elif f.type == "int":
                    value = int(raw)
                elif f.type == "float":
                    value = float(raw)
                else:
                    value = str(raw)
            except ValueError:
                raise SettingsError(f"NCC_{f.name.upper()}={raw!r}: expected {f.type}") from None
            setattr(out, f.name, value)
        if out.mode not in MODES:
            raise SettingsError(f"NCC_MODE={out.mode!r}: expected one of {', '.join(MODES)}")
        if out.samples < 1 or out.inputs < 0 or out.examples < 0 or out.repair < 0:
            raise SettingsError("NCC_SAMPLES must be at least 1, NCC_INPUTS, NCC_EXAMPLES and NCC_REPAIR at least 0")
        if not out.cache_dir:
            base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
            out.cache_dir = os.path.join(base, "neuralcc", "ncc")
        return out
