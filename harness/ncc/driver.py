"""`ncc`: a drop-in cc. gcc builds everything first, exactly as asked; then every function of every C
unit is translated by the model and verified against gcc, and each output (object, assembly or
program) is rebuilt from the unit's assembly with the verified functions in place of gcc's.

    make CC=ncc                       # x86-64
    make CC=aarch64-linux-gnu-ncc     # or CC="ncc --target=aarch64-linux-gnu"
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from neuralcc.cbase.toolchain import ASSEMBLERS
from neuralcc.verifier.splice import defined_symbols

from .cmdline import Command, UsageError, parse
from .settings import Settings, SettingsError
from .unit import ALWAYS_GCC, UnitResult, UnitTranslator


HELP = """\
usage: ncc [cc options] file...

A drop-in C compiler: gcc compiles, links and reports as usual; then every function of every .c
file is translated by neuralcc's model and verified against gcc's code in an emulator. Verified
functions replace gcc's in the object; the others keep gcc's code (the fallback).

Targets: x86-64 (ncc) and AArch64 (aarch64-linux-gnu-ncc, or --target=aarch64-linux-gnu).
All cc options are accepted; ncc reads -c -S -E -o -O0..-O3/-Os -I -D -U -std= -f... -m...
and passes everything to gcc. Units built with -Og/-Ofast, sanitizers, profiling, stack
protectors or -x are left wholly to gcc (said in the summary).

Settings (environment, or a TOML file named by NCC_CONFIG with an [ncc] table of the same names):
  NCC_MODE=fallback|strict|neural   fallback (default): gcc's code where not verified;
                                    strict: fail the build if any function is not verified
                                    (those the verifier cannot test at all, like a main that
                                    calls other units, stay gcc's and are named);
                                    neural: use the model's code even unverified (experiments only)
  NCC_TRANSLATOR=memory[:DIR]       the translator: the translation memory beside the model, the one
                                    that measures best (also model+memory[:DIR]: the model writes what
                                    the memory lacks; model[:DIR] alone, gcc[:OPT], mutant, return0,
                                    arg0, file:PATH)
  NCC_SAMPLES=1                     samples per function (1 = greedy; more: sampled, first verified wins)
  NCC_TEMPERATURE=0.8  NCC_SEED=0   sampling
  NCC_REPAIR=0                      guess and check: verifier calls a function whose samples failed may
                                    spend on rewritten pieces (0: off)
  NCC_INPUTS=300  NCC_EXAMPLES=50   random inputs and hypothesis examples per verification
  NCC_THREADS=1                     torch threads per ncc process
  NCC_CACHE_DIR=~/.cache/neuralcc/ncc   content-addressed cache: unchanged code is not re-translated
  NCC_REPORT=build.jsonl            append one JSON line per function (summarise: neuralcc ncc-report)
  NCC_QUIET=1                       no per-unit summary on stderr

Exit status: gcc's; 1 in strict mode when a function is not verified; 1 on a bad setting.
"""


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    prog = prog or os.path.basename(sys.argv[0])
    try:
        cmd = parse(argv, prog)
    except UsageError as err:
        print(f"ncc: error: {err}", file=sys.stderr)
        return 1
    if cmd.help:
        print(HELP, end="")
        return 0
    status = subprocess.call(cmd.gcc)
    if status != 0 or cmd.action == "other" or not (cmd.sources or cmd.action == "link" and cmd.objects):
        return status
    try:
        settings = Settings.load()
    except SettingsError as err:
        print(f"ncc: error: {err}", file=sys.stderr)
        return 1
    build = Build(cmd, settings)
    try:
        return build.run()
    except Exception as err:  # gcc's outputs are complete and correct: keep them unless strict
        strict = settings.mode == "strict"
        print(f"ncc: internal error: {type(err).__name__}: {err}; "
              + ("NCC_MODE=strict: failing" if strict else "gcc's output is kept"), file=sys.stderr)
        if strict:
            build.remove_outputs()
        return 1 if strict else 0


class Build:
    def __init__(self, cmd: Command, settings: Settings):
        self.cmd, self.settings = cmd, settings
        self.units: list[UnitResult] = []

    def say(self, text: str) -> None:
        if not self.settings.quiet:
            print(text, file=sys.stderr)

    def run(self) -> int:
        cmd, s = self.cmd, self.settings
        if cmd.unverifiable:
            self.say(f"ncc: every unit left to gcc: {', '.join(cmd.unverifiable)}")
            for path in cmd.sources:
                self.units.append(UnitResult(path, cmd.arch, cmd.opt, note="left to gcc"))
            self.write_report()
            if s.mode == "strict":
                print("ncc: error: NCC_MODE=strict: nothing can be verified under these flags", file=sys.stderr)
                self.remove_outputs()
                return 1
            return 0
        translator = self.make_translator()
        if translator is None:
            return 1
        from hypothesis.configuration import set_hypothesis_home_dir

        # hypothesis keeps files (its constants cache) under its home, by default ./.hypothesis: the build directory
        set_hypothesis_home_dir(Path(s.cache_dir) / "hypothesis")
        units = UnitTranslator(s, translator)
        if units.cache.unusable:
            self.say(f"ncc: cache not used: {units.cache.unusable}")
        with tempfile.TemporaryDirectory(prefix="ncc-") as td:
            objects: dict[str, str] = {}
            for path in cmd.sources:
                t0 = time.perf_counter()
                try:
                    unit = units.run(path, cmd.arch, cmd.opt, cmd.shaping)
                except Exception as err:  # reading the unit crashed: gcc's object stays and the report says so
                    unit = UnitResult(path, cmd.arch, cmd.opt,
                                      note=f"internal error reading the unit: {type(err).__name__}: {err}")
                self.units.append(unit)
                if unit.asm is not None:
                    self.emit_or_fall_back(unit, td, objects, path)
                if cmd.action == "object" and unit.base is not None:
                    units.cache.put_unit(cmd.output_for(path), unit)  # for the link step
                self.summarise(unit, time.perf_counter() - t0)
            if cmd.action == "link":
                self.link_step(units, td, objects)
            self.write_report()
            # strict mode fails on the functions the verifier could test and the model did not pass
            failed = [f"{u.path}:{f.function} ({f.category})" for u in self.units for f in u.functions
                      if not f.verified and f.category not in ALWAYS_GCC]
            if s.mode == "strict" and (failed or any(u.note for u in self.units)):
                what = ", ".join(failed) or "; ".join(u.note for u in self.units if u.note)
                print(f"ncc: error: NCC_MODE=strict: not verified: {what}", file=sys.stderr)
                self.remove_outputs()
                return 1
            if cmd.action == "link" and objects:
                return self.relink(objects)
        return 0

    def make_translator(self):
        from neuralcc.harness.translators import TranslatorError, make_translator

        try:
            return make_translator(self.settings.translator, temperature=self.settings.temperature,
                                   threads=self.settings.threads)
        except TranslatorError as err:
            print(f"ncc: error: NCC_TRANSLATOR: {err}", file=sys.stderr)
            return None

    def link_step(self, units: UnitTranslator, tmpdir: str, objects: dict[str, str]) -> None:
        """Where the whole program is known: each function that calls other units' functions is judged
        again with their gcc code beside it. The units are those of this command's .c files and those
        of its objects that ncc made (it keeps each object's unit: Cache.put_unit)."""
        linked = [(u.path, u) for u in self.units if u.base is not None]  # keyed by their word in gcc's command
        for obj in self.cmd.objects:
            unit = units.cache.get_unit(obj)
            if unit is not None:
                linked.append((obj, unit))
        defines = {id(u): defined_symbols(u.base, u.arch) for _, u in linked}
        for key, unit in linked:
            others = [o for _, o in linked if o is not unit]
            exported = set().union(*(defines[id(o)] for o in others))
            if not any(unit.functions[k].elsewhere in exported for k in unit.pending()):
                continue
            t0 = time.perf_counter()
            now = units.link(unit, [o.base for o in others])
            if not any(u is unit for u in self.units):
                self.units.append(unit)  # reported again: its functions judged at the link
            if now and unit.asm is not None:
                self.emit_or_fall_back(unit, tmpdir, objects, key)
            self.say(f"ncc: {unit.path} ({unit.arch} -{unit.opt}) at the link, beside the other units: "
                     + (f"{', '.join(now)} neural-verified" if now else "nothing more verified")
                     + f"; {time.perf_counter() - t0:.1f} s")

    def emit_or_fall_back(self, unit: UnitResult, tmpdir: str, objects: dict[str, str], key: str) -> None:
        err = self.emit(unit, tmpdir, objects, key)
        if err:
            self.say(f"ncc: {unit.path}: cannot assemble the translated unit ({err}); gcc's code is used")
            unit.asm = None
            objects.pop(key, None)
            for fr in unit.functions:
                fr.verified, fr.asm = False, None
                fr.category, fr.message = "ncc.assemble_failed", err

    def emit(self, unit: UnitResult, tmpdir: str, objects: dict[str, str], key: str) -> str | None:
        """Write the unit's output from its final assembly; an error message if GNU as rejects it.
        `key`: the unit's word in gcc's command (its .c file, or the object the link step replaces)."""
        cmd = self.cmd
        if cmd.action == "asm":
            Path(cmd.output_for(unit.path)).write_text(unit.asm)
            return None
        fd, name = tempfile.mkstemp(dir=tmpdir, suffix=".s")
        os.close(fd)
        asm = Path(name)
        asm.write_text(unit.asm)
        target = cmd.output_for(unit.path) if cmd.action == "object" else str(asm.with_suffix(".o"))
        obj = target + ".ncc-tmp"
        proc = subprocess.run([ASSEMBLERS[cmd.arch], str(asm), "-o", obj], capture_output=True, text=True)
        if proc.returncode != 0:
            Path(obj).unlink(missing_ok=True)
            return (proc.stderr.strip().splitlines() or ["as failed"])[-1]
        os.replace(obj, target)
        if cmd.action == "link":
            objects[key] = target
        return None

    def relink(self, objects: dict[str, str]) -> int:
        """The link gcc did, again, with each translated unit's object in place of its .c file."""
        args = [objects.get(a, a) for a in self.cmd.gcc]
        return subprocess.call(args)

    def remove_outputs(self) -> None:
        cmd = self.cmd
        outs = [cmd.output or "a.out"] if cmd.action == "link" else [cmd.output_for(p) for p in cmd.sources]
        for out in outs:
            Path(out).unlink(missing_ok=True)

    def summarise(self, unit: UnitResult, seconds: float) -> None:
        mode = self.settings.mode
        tag = f"ncc: {unit.path} ({unit.arch} -{unit.opt})"
        if unit.note:
            self.say(f"{tag}: {unit.note}")
            return
        fns = unit.functions
        neural = [f.function for f in fns if f.verified]
        unverified = [f for f in fns if f.used(mode) and not f.verified]
        fallback = [f for f in fns if not f.used(mode)]
        parts = [f"{len(neural)}/{len(fns)} functions neural-verified" + (f" ({', '.join(neural)})" if neural else "")]
        if fallback:
            parts.append("gcc fallback: " + ", ".join(f"{f.function} ({f.category})" for f in fallback))
        cached = sum(f.cached for f in fns)
        parts.append(f"{seconds:.1f} s" + (f", {cached} cached" if cached else ""))
        for why, n in Counter(f.cache_discarded for f in fns if f.cache_discarded).items():
            parts.append(f"{n} cache {'entry' if n == 1 else 'entries'} discarded ({why})")
        self.say(f"{tag}: " + "; ".join(parts))
        for f in unverified:
            self.say(f"ncc: WARNING: NCC_MODE=neural: {unit.path}: {f.function} uses UNVERIFIED model code "
                     f"({f.category}: {f.message[:120]})")

    def write_report(self) -> None:
        if not self.settings.report:
            return
        lines = []
        for u in self.units:
            if u.note and not u.functions:
                lines.append({"unit": u.path, "function": None, "arch": u.arch, "opt": u.opt, "outcome": "gcc",
                              "category": "ncc.unit_left_to_gcc", "message": u.note, "mode": self.settings.mode})
            for f in u.functions:
                outcome = "neural" if f.verified else ("neural-unverified" if f.used(self.settings.mode) else "gcc")
                lines.append({"unit": u.path, "function": f.function, "arch": u.arch, "opt": u.opt,
                              "outcome": outcome, "category": f.category, "message": f.message,
                              "samples": f.samples, "seconds": f.seconds, "cached": f.cached,
                              "cache_discarded": f.cache_discarded, "at_link": f.at_link,
                              "mode": self.settings.mode, "cwd": u.cwd})
        with open(self.settings.report, "a") as fh:  # one write per line: parallel builds do not interleave
            for line in lines:
                fh.write(json.dumps(line) + "\n")
                fh.flush()
