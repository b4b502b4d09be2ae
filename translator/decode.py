"""Translate one C function with a trained model: greedy, sampling (seeded) or beam."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList
from transformers.modeling_outputs import BaseModelOutput

from . import asmtext, data, frame, model as M, pieces, tokenizer as T
from .asmgrammar import OperandGrammar
from .memory import encoder_ids, load_if_any as load_memory
from .csource import SourceError, encoder_text, find_functions

DEFAULT_MODEL = Path(__file__).parent / "default_model"
_LINE_TOK = re.compile(r"<L(\d+)>")
_OWN_LABEL = re.compile(r"^<C\d+>:\n")


class RepetitionStop(StoppingCriteria):
    """Stop a row whose last `period` tokens (any period up to `longest`) came `times` times in a row:
    an under-trained model repeats one instruction to the length cap, which costs most of the decoding
    time and cannot be right. The row is then reported as cut (no </s>), like one that hit the cap."""

    def __init__(self, longest: int = 16, times: int = 6):
        self.longest, self.times = longest, times

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        length = input_ids.shape[1]
        for period in range(1, self.longest + 1):
            if period * self.times > length:
                break
            tail = input_ids[:, length - period * self.times:].reshape(input_ids.shape[0], self.times, period)
            done |= (tail == tail[:, -1:, :]).all(dim=2).all(dim=1)
        return done


class RowMask(LogitsProcessor):
    """Per-row banned tokens ("local" mode: a piece may only name the pieces it may jump to)."""

    def __init__(self, banned: torch.BoolTensor):
        self.banned = banned

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        banned = self.banned
        if banned.shape[0] != scores.shape[0]:  # beams: each row's beams are consecutive
            banned = banned.repeat_interleave(scores.shape[0] // banned.shape[0], dim=0)
        return scores.masked_fill(banned[:, : scores.shape[1]], float("-inf"))


class SlotGrammar(LogitsProcessor):
    """"local" mode with canonical names: a stack slot `@V?@` may only name one of the row's own
    variables (VA, VB, ... of its prompt; with typed names the type code after the letter is the
    variable's own: VAq, never VAi), and a prologue (or a parameter's piece) ends once every parameter
    is stored: after the line that stores the last one, no new line may start. Without it the model
    went on storing a parameter that does not exist (`movl %ecx, @VE@(%rbp)` after VD) in most
    functions."""

    def __init__(self, tok, rows: list[tuple[list[str], bool]]):
        ids = lambda t: tok.convert_tokens_to_ids(t)
        self.at, self.v = ids("@"), ids("V")
        self.letters = [ids(chr(c)) for c in range(ord("A"), ord("Z") + 1)]
        self.line_starts = [i for i in (ids("\n\t"), ids("\t")) if i is not None and i != tok.unk_token_id]
        self.rows = [(len(names), prologue) for names, prologue in rows]  # per row: names, is it a prologue
        self.codes = [self._codes(tok, names) for names, _ in rows]
        # the slot rules read a row's last `longest` tokens: `@ V <letter>` and a type code
        self.longest = 3 + max((len(c) for codes in self.codes for c in codes.values()), default=0)

    def _codes(self, tok, names: list[str]) -> dict[int, list[int]]:
        """index letter's token -> the tokens of its type code (typed names), for each name that has one."""
        out = {}
        for name in names:
            t = tok(f"@{name}@", add_special_tokens=False)["input_ids"]
            if len(t) > 4 and t[:2] == [self.at, self.v] and t[2] in self.letters and t[-1] == self.at:
                out[t[2]] = t[3:-1]
        return out

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        beams = scores.shape[0] // len(self.rows)
        tails = input_ids[:, -self.longest:].tolist()  # whole rows only for prologues
        for r, ids in enumerate(tails):
            n_names, prologue = self.rows[r // beams]
            codes = self.codes[r // beams]
            if len(ids) >= 2 and ids[-2] == self.at and ids[-1] == self.v:
                scores[r, self.letters[n_names:]] = float("-inf")
                scores[r, self.v] = float("-inf")
            elif ids and ids[-1] == self.at and n_names == 0:
                scores[r, self.v] = float("-inf")
            elif codes:
                self._force_code(ids, codes, scores[r])
            if prologue and n_names:
                ids = input_ids[r].tolist()
                named = {ids[i + 2] for i in range(len(ids) - 2) if ids[i] == self.at and ids[i + 1] == self.v}
                if len(named) >= n_names:  # every parameter stored: finish this line, start no other
                    scores[r, self.line_starts] = float("-inf")
        return scores

    def _force_code(self, ids: list[int], codes: dict[int, list[int]], row: torch.FloatTensor) -> None:
        """Inside `@V<letter>`: the next token of that variable's type code, and nothing else."""
        for back in range(3, 3 + max(len(c) for c in codes.values())):
            if len(ids) < back or ids[-back] != self.at:
                continue
            if ids[-back + 1] != self.v or ids[-back + 2] not in codes:
                return
            code, written = codes[ids[-back + 2]], ids[len(ids) - back + 3:]
            if len(written) < len(code) and written == code[: len(written)]:
                keep = row[code[len(written)]].clone()
                row.fill_(float("-inf"))
                row[code[len(written)]] = keep
            return


@dataclass
class Translation:
    asm: str
    truncated: list[str] = field(default_factory=list)  # what was cut: at the length cap, or repeating itself
    new_tokens: int = 0
    order: list[int] = field(default_factory=list)  # the predicted chunk order (C line per chunk)
    pieces: list = field(default_factory=list)  # "local" mode: (prompt, decoded text) of each piece
    memory_levels: list = field(default_factory=list)  # per piece: how near its memory piece was (memory.LEVELS), or None
    memory_pieces: int = 0  # "local" with a memory: pieces whose prompt the memory holds exactly
    copied_pieces: int = 0  # ... of which the output is the memory's piece
    from_memory: int = 0  # pieces the memory wrote, not the model (DecodeOptions.memory_only / memory_first)
    lowered: int = 0  # "local" with a lowering model: statements rewritten to one operation each (lower.py)


@dataclass
class DecodeOptions:
    n: int = 1
    temperature: float = 0.0  # 0 = greedy
    seed: int = 0
    beam: int = 1
    grammar: bool = True  # "local" mode: keep to gcc's instruction grammar (asmgrammar.py), if the model has one,
    #                       and let a stack slot name only the piece's variables (SlotGrammar). Both read lexer
    #                       pieces: a byte-level BPE model decodes without them
    memory_only: bool = False  # "local" mode, a baseline: the translation memory's nearest pieces, not the model's
    memory_stats: bool = False  # "local" mode: look every piece up in the memory to count seen pieces (evaluate.py)
    memory_first: bool = False  # "local" mode: a piece the memory holds is the memory's, the model writes the rest;
    #                             when sampling, samples after the first also resample the pieces the memory holds
    #                             only at a level that is not sure (Hit.sure)


def _search(opt: DecodeOptions) -> dict:
    """generate()'s search arguments for `opt`: beam, seeded sampling, or greedy."""
    if opt.beam > 1:
        return dict(num_beams=opt.beam, do_sample=False, early_stopping=True)
    if opt.temperature > 0:
        return dict(do_sample=True, temperature=opt.temperature, top_k=0, top_p=1.0)
    return dict(do_sample=False, num_beams=1)


class Translator:
    def __init__(self, model_dir: str | Path = DEFAULT_MODEL, model=None, tok=None, mode: str | None = None,
                 memory=None):
        self.tok = tok if tok is not None else T.load(model_dir)
        self.model = model if model is not None else M.load(model_dir)
        self.model.eval()
        # "local": the translation memory saved with the model (memory.py); the encoder reads its nearest
        # piece beside each prompt only if the model was trained so
        self.memory = memory if memory is not None or model is not None else load_memory(model_dir)
        self.reads_memory = bool(getattr(self.model.config, "neuralcc_memory", False))
        if self.reads_memory and self.memory is None:
            raise FileNotFoundError(f"{model_dir}: the model was trained to read a translation memory, but its "
                                    f"files (memory-<arch>.json.gz) are missing")
        self.cfg = M.neuralcc_config(self.model)
        self.mode = mode or getattr(self.model.config, "neuralcc_mode", "chunks")
        self.style = pieces.PromptStyle.of(self.model.config)  # "local": how prompts are rewritten
        # "local": the model was trained on C lowered to one operation per statement (lower.py): true, or
        # "atoms" for three-address code
        self.lower = getattr(self.model.config, "neuralcc_lower", False) or False
        self.params = bool(getattr(self.model.config, "neuralcc_params", False))  # a piece per parameter (skeleton.py)

    # -- input checks ------------------------------------------------------------------
    def prepare(self, source: str, entry: str | None) -> tuple[str, str]:
        funcs = find_functions(source)
        if not funcs:
            raise SourceError("no function definition found")
        if entry is None:
            entry = funcs[-1].name
        elif entry not in {f.name for f in funcs}:
            raise SourceError(f"no function '{entry}' (found: {', '.join(f.name for f in funcs)})")
        c_text = encoder_text(source, entry)
        bad = T.unrepresentable(self.tok, c_text)
        if bad is not None:
            raise SourceError(f"function '{entry}' contains {bad!r}, which the tokenizer cannot represent")
        return entry, c_text

    def _check_len(self, ids: list[int], entry: str) -> None:
        if len(ids) > self.cfg.max_source_tokens:
            raise SourceError(
                f"function '{entry}' is too long for the model: {len(ids)} tokens > {self.cfg.max_source_tokens}"
            )

    # -- generation --------------------------------------------------------------------
    def _ids(self, tokens) -> list[int]:
        return [self.tok.convert_tokens_to_ids(t) for t in tokens]

    def _suppressed(self, allowed_specials: set[str]) -> list[int]:
        """Every special token of ours (tags, tasks, line and chunk markers) but `allowed_specials` and
        `<FN>` (the function's name, written in the output)."""
        keep = set(allowed_specials) | {T.EOS, T.PAD, T.UNK, asmtext.FN}
        return self._ids(t for t in T.SPECIAL if t not in keep)

    @torch.no_grad()
    def _generate(self, src: list[int], prefixes: list[list[int]], max_new: int, opt: DecodeOptions,
                  suppress: list[int] | None = None):
        """Decode len(prefixes) continuations, all reading the same encoder input; `suppress`: token ids
        that may not be generated (the format's grammar: see translate_one)."""
        ids = torch.tensor([src])
        enc = self.model.get_encoder()(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
        start = self.model.config.decoder_start_token_id
        # Left-pad is not possible for the decoder; group prefixes by length instead.
        out: list[list[int]] = [None] * len(prefixes)
        groups: dict[int, list[int]] = {}
        for i, p in enumerate(prefixes):
            groups.setdefault(len(p), []).append(i)
        for length, rows in sorted(groups.items()):
            dec = torch.tensor([[start] + prefixes[i] for i in rows])
            h = enc.expand(len(rows), -1, -1)
            kw = dict(
                encoder_outputs=BaseModelOutput(last_hidden_state=h),
                attention_mask=torch.ones(h.shape[:2], dtype=torch.long),
                decoder_input_ids=dec,
                max_new_tokens=max_new,
                stopping_criteria=StoppingCriteriaList([RepetitionStop()]),
                eos_token_id=self.tok.eos_token_id,
                pad_token_id=self.tok.pad_token_id,
            )
            if suppress:
                kw["suppress_tokens"] = suppress
            res = self.model.generate(**kw, **_search(opt))
            for r, i in zip(res.tolist(), rows):
                out[i] = r[1 + length :]
        return out

    def _strip(self, ids: list[int]) -> tuple[list[int], bool]:
        """Cut at </s>; True if there was one (not truncated)."""
        eos, pad = self.tok.eos_token_id, self.tok.pad_token_id
        if eos in ids:
            return ids[: ids.index(eos)], True
        return [i for i in ids if i != pad], False

    def translate_one(self, c_text: str, entry: str, arch: str, opt_level: str, opt: DecodeOptions,
                      decls: dict | None = None) -> Translation:
        head = data.tags(arch, opt_level)
        tr = Translation(asm="")
        if self.mode == "whole":
            src = T.encode(self.tok, head + "<whole>" + c_text)
            self._check_len(src, entry)
            (ids,) = self._generate(src, [[]], self.cfg.max_order_tokens + self.cfg.max_chunk_tokens * 4, opt)
            body, done = self._strip(ids)
            tr.new_tokens = len(ids)
            if not done:
                tr.truncated.append("function")
            tr.asm = asmtext.restore(T.decode(self.tok, body), entry)
            return tr
        lines = tr.order = self.predict_order(c_text, entry, arch, opt_level, opt, tr)
        if lines:
            tr.asm = asmtext.reassemble(self.write_chunks(c_text, entry, arch, opt_level, lines, opt, tr, decls), entry)
        return tr

    def predict_order(self, c_text: str, entry: str, arch: str, opt_level: str, opt: DecodeOptions,
                      tr: Translation) -> list[int]:
        """The chunk order: which C line each chunk of the function comes from."""
        src = T.encode(self.tok, data.tags(arch, opt_level) + "<order>" + c_text)
        self._check_len(src, entry)
        # gcc -O0 makes at most ~3 chunks per C line (a for header: init, step, test)
        max_chunks = min(asmtext.MAX_CHUNKS, 3 * c_text.count("<L") + 4)
        # The order names C lines: only the markers of lines that exist in the input.
        present = {f"<L{n}>" for n in _LINE_TOK.findall(c_text)}
        (ids,) = self._generate(src, [[]], min(self.cfg.max_order_tokens, max_chunks + 1), opt,
                                suppress=self._suppressed(present))
        body, done = self._strip(ids)
        tr.new_tokens += len(ids)
        if not done:
            tr.truncated.append("chunk order")
        return [int(x) for x in _LINE_TOK.findall(T.decode(self.tok, body))][:max_chunks]

    def write_chunks(self, c_text: str, entry: str, arch: str, opt_level: str, lines: list[int],
                     opt: DecodeOptions, tr: Translation, decls: dict | None = None) -> list[str]:
        """Each chunk's assembly (model text: <Ck> labels, <FN>), given the chunk order."""
        src = T.encode(self.tok, data.tags(arch, opt_level) + "<chunks>" + c_text + "<sep>" + data.indexed_order(lines))
        self._check_len(src, entry)
        if self.mode in data.PROMPTED:
            prefixes = [T.encode(self.tok, p) for p in data.chunk_prompts(c_text, lines, decls)]
        else:
            prefixes = [[self.tok.convert_tokens_to_ids(f"<C{k}>")] for k in range(len(lines))]
        # A chunk may jump only to chunks that exist, and names no C line.
        chunk_tokens = {f"<C{k}>" for k in range(len(lines))}
        outs = self._generate(src, prefixes, self.cfg.max_chunk_tokens, opt, suppress=self._suppressed(chunk_tokens))
        chunks = []
        for k, ids in enumerate(outs):
            body, done = self._strip(ids)
            tr.new_tokens += len(ids)
            if not done:
                tr.truncated.append(f"chunk {k}")
            # Every chunk after the first (which holds the function's header) starts with its own label,
            # whether or not the model wrote it: the chunk index is the jump target, so a jump to chunk
            # k always lands at chunk k.
            text = T.decode(self.tok, body)
            chunks.append(f"<C{k}>:\n" + _OWN_LABEL.sub("", text, count=1) if k else text)
        return chunks

    def translate(self, source: str, arch: str, opt_level: str = "O0", entry: str | None = None,
                  opt: DecodeOptions | None = None, cflags: list[str] | None = None) -> list[Translation]:
        """`cflags`: the unit's compiler flags; their -I/-D/-U/-include reach the preprocessor wherever the
        unit is parsed (a unit that includes its own header needs its directory's -I)."""
        opt = opt or DecodeOptions()
        if self.mode == "local":
            return self.translate_local(source, arch, opt_level, entry, opt, cflags)
        entry, c_text = self.prepare(source, entry)
        variables = self.frame_variables(source, entry, cflags) if self.mode in data.SLOTTED else None
        decls = data.line_declarations(source, variables) if self.mode == "typed" else None
        if opt.temperature <= 0 or opt.beam > 1:
            outs = [self.translate_one(c_text, entry, arch, opt_level, opt, decls)]
        else:
            outs = []
            for i in range(opt.n):
                torch.manual_seed(opt.seed + i)
                outs.append(self.translate_one(c_text, entry, arch, opt_level, opt, decls))
        if variables is not None:
            for out in outs:
                out.asm = frame.resolve(out.asm, variables, arch)
        return outs

    @staticmethod
    def frame_variables(source: str, entry: str, cflags: list[str] | None = None) -> dict:
        """"slots" mode: the variables each function's frame holds (the model names them, frame.py
        places them)."""
        from neuralcc.verifier.errors import VerifierInputError
        from neuralcc.verifier.signature import frame_variables

        try:
            return frame_variables(source, cflags=cflags)
        except VerifierInputError as err:
            raise SourceError(f"function '{entry}': cannot lay out its stack frame: {err}") from None

    # -- "local" mode: the skeleton's pieces, each written from its own prompt --------------------
    def translate_local(self, source: str, arch: str, opt_level: str, entry: str | None,
                        opt: DecodeOptions, cflags: list[str] | None = None) -> list[Translation]:
        from . import skeleton
        from .localdata import scopes

        entry, _ = self.prepare(source, entry)
        lowered = 0
        if self.lower:  # what the model reads and writes is the lowered unit; the verifier judges the original
            from .lower import lower_unit

            low = lower_unit(source, atoms=self.lower == "atoms", cflags=cflags)
            source, lowered = low.source, low.statements
        skel = skeleton.build(source, params=self.params, cflags=cflags)
        if len(skel.pieces) > asmtext.MAX_CHUNKS:
            raise SourceError(f"function '{entry}': its unit has {len(skel.pieces)} pieces of code, more than the "
                              f"model can name ({asmtext.MAX_CHUNKS})")
        variables = self.frame_variables(source, entry, cflags)
        scope = scopes(source, variables)
        needed = skel.reachable(entry)
        rows, srcs, prompts, names, hits = [], [], [], [], []
        for p in skel.pieces:
            if (p.role == "data" and not skel.globals) or (p.role != "data" and p.func not in needed):
                continue
            prompts.append(pieces.prompt(skel, p, arch, opt_level, scope.get(p.func, {}), entry))
            text, named = self.style.apply(prompts[-1])
            names.append(named)
            wanted = self.reads_memory or opt.memory_only or opt.memory_first or opt.memory_stats
            hit = self.memory.lookup(arch, text) if self.memory is not None and wanted else None
            hits.append(hit)
            ids = encoder_ids(self.tok, text, hit if self.reads_memory else None, self.cfg.max_source_tokens)
            if len(ids) > self.cfg.max_source_tokens:
                raise SourceError(f"function '{p.func or entry}' line {p.line}: the statement is too long for the "
                                  f"model ({len(ids)} tokens > {self.cfg.max_source_tokens})")
            rows.append(p)
            srcs.append(ids)
        vocab = self.model.get_input_embeddings().weight.shape[0]
        banned = torch.zeros((len(rows), vocab), dtype=torch.bool)
        always = self._suppressed({"<sep>"})
        for r, p in enumerate(rows):
            banned[r, always] = True
            banned[r, self._ids(f"<C{j}>" for j in p.targets.values())] = False
        operands = (getattr(self.model.config, "neuralcc_operands", None) or {}).get(arch)
        grammar = opt.grammar and T.kind_of(self.tok) == "lexer"
        operand_grammar = OperandGrammar(self.tok, operands) if operands and grammar else None  # stateless
        if (opt.memory_only or opt.memory_first) and self.memory is None:
            raise SourceError("no translation memory beside this model (memory-<arch>.json.gz)")
        # pieces the memory writes: every one it has a piece for (the baseline, and memory_first's greedy
        # answer: its nearest piece beat the model's on held-out and real C, model card session 13); a
        # sampled memory_first answer after the first also has the model write the pieces the memory
        # holds only at a level that is not sure. The model writes the others.
        eos = self.tok.eos_token_id
        looked_up = [T.encode(self.tok, h.piece) + [eos] if h else [eos] for h in hits]
        if opt.memory_only:
            every = unsure = []
        else:
            every = [r for r, h in enumerate(hits) if not (opt.memory_first and h)]
            unsure = [r for r, h in enumerate(hits) if not (opt.memory_first and h and h.sure)]
        sampling = opt.temperature > 0 and opt.beam <= 1
        outs = []
        for i in range(opt.n if sampling and unsure else 1):  # unsure holds every row of `every`
            by_model = unsure if sampling and i > 0 else every
            torch.manual_seed(opt.seed + i)
            ids = list(looked_up)
            if by_model:
                grammars = [SlotGrammar(self.tok, [(list(names[r].values()), rows[r].role in ("prologue", "param"))
                                                   for r in by_model])] if self.style.rename and grammar else []
                if operand_grammar is not None:
                    grammars.append(operand_grammar)
                written = self._generate_rows([srcs[r] for r in by_model], banned[by_model], self.cfg.max_chunk_tokens,
                                              opt, grammars)
                for r, row in zip(by_model, written):
                    ids[r] = row
            tr = Translation(asm="", lowered=lowered)
            texts: list = [None] * len(skel.pieces)
            by_model_set = set(by_model)
            for r, (p, prompt, named, row, hit) in enumerate(zip(rows, prompts, names, ids, hits)):
                body, done = self._strip(row)
                if r in by_model_set:
                    tr.new_tokens += len(row)
                if not done:
                    tr.truncated.append(f"line {p.line} ({p.role})")
                written = T.decode(self.tok, body)
                tr.memory_pieces += hit is not None and hit.exact
                tr.copied_pieces += hit is not None and hit.exact and written == hit.piece
                tr.from_memory += r not in by_model_set
                back = {v: k for k, v in named.items()}
                texts[p.index] = pieces.rename_slots(written, back)
                tr.pieces.append((prompt, texts[p.index]))
                tr.memory_levels.append(hit.level if hit else None)
            tr.asm = frame.resolve(pieces.reassemble(skel, texts, entry, needed), variables, arch)
            outs.append(tr)
        return outs

    @torch.no_grad()
    def _generate_rows(self, srcs: list[list[int]], banned: torch.BoolTensor, max_new: int,
                       opt: DecodeOptions, grammars: list[LogitsProcessor] = ()) -> list[list[int]]:
        """One decode per encoder input, all in one batch (inputs right-padded)."""
        ids, mask = data.pad_rows(srcs, self.tok.pad_token_id)
        res = self.model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=max_new,
            stopping_criteria=StoppingCriteriaList([RepetitionStop()]),
            logits_processor=LogitsProcessorList([RowMask(banned), *grammars]),
            eos_token_id=self.tok.eos_token_id, pad_token_id=self.tok.pad_token_id, **_search(opt))
        return [r[1:] for r in res.tolist()]
