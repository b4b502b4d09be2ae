"""Translate one C function with a trained model, piece by piece: greedy, sampling (seeded) or beam."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from neuralcc.cbase.csource import find_functions
from neuralcc.cbase.toolchain import char_signed

from .. import prompts as P
from ..back import asmtext, frame, pieces
from ..back.data import data_piece
from ..front.csource import SourceError
from ..memory.store import LEVELS, load_if_any as load_memory
from . import model as M, reading, tokenizer as T

DEFAULT_MODEL = Path(__file__).parents[1] / "default_model"
REPAIR_TEMPERATURE = 0.8  # the model's samples for a piece guess and check rewrites


@dataclass
class Translation:
    asm: str
    truncated: list[str] = field(default_factory=list)  # what was cut: at the length cap, or repeating itself
    new_tokens: int = 0
    pieces: list = field(default_factory=list)  # (prompt, decoded text) of each piece
    memory_levels: list = field(default_factory=list)  # per piece: how near its memory piece was
    #                                                    (memory.store.LEVELS), or None
    memory_answers: list = field(default_factory=list)  # per piece: the memory's nearest piece, or None
    memory_pieces: int = 0  # with a memory: pieces whose prompt the memory holds exactly
    copied_pieces: int = 0  # ... of which the output is the memory's piece
    from_memory: int = 0  # pieces the memory wrote, not the model (DecodeOptions.memory_only / memory_first)
    lowered: int = 0  # with a lowering model: statements rewritten to one operation each (front/lower.py)
    draft: "Draft | None" = None  # what it was put together from, for guess and check (translator/repair.py)


@dataclass
class Draft:
    """A translation as its pieces, so that single pieces can be rewritten and the whole put back together
    (translator/repair.py). Rows are the pieces that were written, in skeleton order."""
    skel: object  # front.skeleton.Skeleton
    variables: dict  # function -> its frame variables (back/frame.py)
    arch: str
    entry: str
    needed: set[str]  # the functions the entry reaches
    rows: list  # the skeleton pieces written (front.skeleton.Piece)
    texts: list  # per skeleton piece, its text (None: not written)
    levels: list  # per row, the level the memory held its prompt at (memory.store.LEVELS), or None
    by_model: list[bool]  # per row, whether the model wrote it
    alternatives: list[list[str]]  # per row, the memory's other pieces for it, nearest first
    sample: object = None  # (row, seed) -> one more model-written text for the row, or None: no model

    def assemble(self, texts: list) -> str:
        return frame.resolve(pieces.reassemble(self.skel, texts, self.entry, self.needed), self.variables, self.arch)


@dataclass
class DecodeOptions:
    n: int = 1
    temperature: float = 0.0  # 0 = greedy
    seed: int = 0
    beam: int = 1
    grammar: bool = True  # keep to gcc's instruction grammar (asmgrammar.py), if the model has one, and let a
    #                       stack slot name only the piece's variables (SlotGrammar). Both read lexer pieces:
    #                       a byte-level BPE model decodes without them
    memory_only: bool = False  # a baseline: the translation memory's nearest pieces, not the model's
    memory_first: bool = False  # a piece the memory holds is the memory's, the model writes the rest;
    #                             when sampling, samples after the first also resample the pieces the memory holds
    #                             only at a level that is not sure (Hit.sure)


def _search(opt: DecodeOptions) -> dict:
    """generate()'s search arguments for `opt`: beam, seeded sampling, or greedy."""
    if opt.beam > 1:
        return dict(num_beams=opt.beam, do_sample=False, early_stopping=True)
    if opt.temperature > 0:
        return dict(do_sample=True, temperature=opt.temperature, top_k=0, top_p=1.0)
    return dict(do_sample=False, num_beams=1)


class NeuralTranslator:
    """`model_dir`'s model and its translation memory. The weights and the tokenizer are loaded when the
    model first writes: the memory alone (`DecodeOptions.memory_only`) reads only the configuration."""

    def __init__(self, model_dir: str | Path = DEFAULT_MODEL, model=None, tok=None, memory=None):
        self.model_dir = Path(model_dir)
        self._model, self._tok = model, tok
        self._unit = None  # ((source, cflags), (the unit as read, statements lowered, its AST)) of the last unit
        self.config = model.config if model is not None else M.read_config(model_dir)
        M.check_supported(self.config)  # ValueError for a model of a retired experiment
        # the translation memory saved with the model (memory/store.py): a baseline, and memory_first's pieces
        self.memory = memory if memory is not None or model is not None else load_memory(model_dir)
        self.cfg = M.neuralcc_config(self.config)
        self.style = P.PromptStyle.of(self.config)  # how prompts are rewritten
        # the model was trained on C lowered to one operation per statement (front/lower.py): true, or "atoms"
        # for three-address code
        self.lower = getattr(self.config, "neuralcc_lower", False) or False
        # a piece per parameter (front/skeleton.py)
        self.params = bool(getattr(self.config, "neuralcc_params", False))
        self.retrieval = getattr(self.config, "neuralcc_retrieval", 0) or 0  # memory candidates read (reading.py)
        if self.retrieval and self.memory is None:
            raise ValueError("a retrieval-reading model needs the translation memory it was trained with beside it "
                             "(memory-<arch>.json.gz)")

    @property
    def model(self):
        if self._model is None:
            self._model = M.load(self.model_dir)
            self._model.eval()
        return self._model

    @property
    def tok(self):
        if self._tok is None:
            self._tok = T.load(self.model_dir)
        return self._tok

    # -- input checks ------------------------------------------------------------------
    def prepare(self, source: str, entry: str | None) -> str:
        """The function to translate (default: the last one defined), checked to exist."""
        funcs = find_functions(source, SourceError)
        if not funcs:
            raise SourceError("no function definition found", "no function")
        if entry is None:
            entry = funcs[-1].name
        elif entry not in {f.name for f in funcs}:
            raise SourceError(f"no function '{entry}' (found: {', '.join(f.name for f in funcs)})", "no function")
        return entry

    # -- generation --------------------------------------------------------------------
    def _ids(self, tokens) -> list[int]:
        return [self.tok.convert_tokens_to_ids(t) for t in tokens]

    def _suppressed(self, allowed_specials: set[str]) -> list[int]:
        """Every special token the tokenizer has (tags, tasks, piece markers, and the line markers of older
        tokenizers) but `allowed_specials` and `<FN>` (the function's name, written in the output)."""
        keep = set(allowed_specials) | {T.EOS, T.PAD, T.UNK, asmtext.FN}
        return [i for t, i in self.tok.get_added_vocab().items() if t not in keep]

    def _strip(self, ids: list[int]) -> tuple[list[int], bool]:
        """GccPiece at </s>; True if there was one (not truncated)."""
        eos, pad = self.tok.eos_token_id, self.tok.pad_token_id
        if eos in ids:
            return ids[: ids.index(eos)], True
        return [i for i in ids if i != pad], False

    @staticmethod
    def frame_variables(source: str, entry: str, cflags: list[str] | None = None, ast=None) -> dict:
        """The variables each function's frame holds (the model names them, back/frame.py places them)."""
        from neuralcc.verifier.errors import VerifierInputError
        from neuralcc.verifier.signature import frame_variables

        try:
            return frame_variables(source, cflags=cflags, ast=ast)
        except VerifierInputError as err:
            raise SourceError(f"function '{entry}': cannot lay out its stack frame: {err}", "stack frame") from None

    # -- the skeleton's pieces, each written from its own prompt -----------------------------------
    def translate(self, source: str, arch: str, opt_level: str = "O0", entry: str | None = None,
                  opt: DecodeOptions | None = None, cflags: list[str] | None = None) -> list[Translation]:
        """`cflags`: the unit's compiler flags; their -I/-D/-U/-include reach the preprocessor wherever the
        unit is parsed (a unit that includes its own header needs its directory's -I)."""
        from neuralcc.verifier.errors import VerifierInputError
        from neuralcc.verifier.signature import global_declarations, parse_c

        from ..front import skeleton
        from ..front.skeleton import scopes

        opt = opt or DecodeOptions()
        entry = self.prepare(source, entry)
        key = (source, tuple(cflags or ()))
        if self._unit is None or self._unit[0] != key:  # ncc and eval translate a unit's functions in a row
            if self.lower:  # what the model reads and writes is the lowered unit; the verifier judges the original
                from ..front.lower import lower_unit

                low = lower_unit(source, atoms=self.lower == "atoms", cflags=cflags)  # the unit's one parse
                self._unit = key, (low.source, low.statements, low.ast)
            else:
                try:
                    self._unit = key, (source, 0, parse_c(source, "<source>", cflags))
                except VerifierInputError as err:
                    raise SourceError(str(err), "C the parser cannot read") from None
        source, lowered, ast = self._unit[1]
        skel = skeleton.build(source, params=self.params, cflags=cflags, ast=ast)
        if (refused := skel.refusal(entry)) is not None:
            raise refused
        needed = skel.reachable(entry)
        if len(skel.pieces) > asmtext.MAX_PIECES:  # the model names pieces <C0> ... <C255>: number only these
            skel = skel.only(needed)
        if len(skel.pieces) > asmtext.MAX_PIECES:
            raise SourceError(f"function '{entry}': it and what it calls have {len(skel.pieces)} pieces of code, "
                              f"more than the model can name ({asmtext.MAX_PIECES})", "too many pieces")
        variables = self.frame_variables(source, entry, cflags, ast)
        scope = scopes(source, variables)
        # the unit's global data is written only when what the entry reaches names some of it: a wrong data
        # piece would fail every function of the unit, also those that never touch it
        used = {n for p in skel.pieces if p.role != "data" and p.func in needed for n in p.names if n in skel.globals}
        # ... and written from the declarations (back/data.py) when it can be: bytes fixed by the C, not code
        data = used and data_piece([d for d in global_declarations(ast, char_signed(arch)) if d.name in used], arch)
        rows, srcs, prompts, names, hits, others = [], [], [], [], [], []
        for p in skel.pieces:
            if (p.role == "data" and (not used or data)) or (p.role != "data" and p.func not in needed):
                continue
            prompts.append(P.prompt(skel, p, arch, opt_level, scope.get(p.func, {}), entry))
            read, named = self.style.apply(prompts[-1])
            names.append(named)
            # every level's piece: the nearest is the memory's answer, the nearest few what a retrieval-reading
            # model reads, the others what guess and check tries (translator/repair.py)
            found = self.memory.candidates(arch, read, len(LEVELS)) if self.memory is not None else []
            hits.append(found[0] if found else None)
            others.append([P.rename_slots(h.piece, {v: k for k, v in named.items()}) for h in found])
            rows.append(p)
            if not opt.memory_only:
                srcs.append(self._encoded(read, found, f"function '{p.func or entry}' line {p.line}"))
        if (opt.memory_only or opt.memory_first) and self.memory is None:
            raise SourceError("no translation memory beside this model (memory-<arch>.json.gz)", "no memory")
        if opt.memory_only:  # the memory's nearest pieces, no model: nothing to encode or generate
            tr = Translation(asm="", lowered=lowered)
            texts: list = [None] * len(skel.pieces)
            texts[0] = data or None
            for p, prompt, named, hit, alt in zip(rows, prompts, names, hits, others):
                texts[p.index] = alt[0] if alt else ""
                tr.pieces.append((prompt, texts[p.index]))
                tr.memory_levels.append(hit.level if hit else None)
                tr.memory_answers.append(alt[0] if alt else None)
                tr.memory_pieces += hit is not None and hit.exact
                tr.copied_pieces += hit is not None and hit.exact
                tr.from_memory += 1
            tr.draft = Draft(skel, variables, arch, entry, needed, rows, texts, tr.memory_levels, [False] * len(rows),
                             [[t for t in alt if t != texts[p.index]] for p, alt in zip(rows, others)], None)
            tr.asm = tr.draft.assemble(texts)
            return [tr]
        return self._written(skel, variables, arch, entry, needed, lowered, data, rows, srcs, prompts, names, hits,
                             others, opt)

    def _encoded(self, read, found: list, where: str) -> list[int]:
        """The encoder's input for one piece's prompt (and, for a retrieval-reading model, the memory's
        candidates); SourceError for text the tokenizer cannot represent or a prompt too long."""
        text = read.render()
        bad = T.unrepresentable(self.tok, text)
        if bad is not None:
            raise SourceError(f"{where}: {bad!r}, which the tokenizer cannot represent", "text the tokenizer cannot represent")
        ids = (reading.ids(self.tok, read, found[: self.retrieval], self.cfg.max_source_tokens) if self.retrieval
               else T.encode(self.tok, text))
        if len(ids) > self.cfg.max_source_tokens:
            raise SourceError(f"{where}: the statement is too long for the model ({len(ids)} tokens > "
                              f"{self.cfg.max_source_tokens})", "statement too long")
        return ids

    def _written(self, skel, variables, arch, entry, needed, lowered, data, rows, srcs, prompts, names, hits, others,
                 opt: DecodeOptions) -> list[Translation]:
        """The translations with the model writing the pieces `opt` gives it (every piece, or with
        `memory_first` those the memory holds nothing for)."""
        import torch

        from .asmgrammar import OperandGrammar
        from .generation import SlotGrammar

        vocab = self.model.get_input_embeddings().weight.shape[0]
        banned = torch.zeros((len(rows), vocab), dtype=torch.bool)
        always = self._suppressed({"<sep>"})
        for r, p in enumerate(rows):
            banned[r, always] = True
            banned[r, self._ids(f"<C{j}>" for j in p.targets.values())] = False
        operands = (getattr(self.config, "neuralcc_operands", None) or {}).get(arch)
        grammar = opt.grammar and T.kind_of(self.tok) == "lexer"
        operand_grammar = OperandGrammar(self.tok, operands) if operands and grammar else None  # stateless
        # pieces the memory writes: every one it has a piece for (the baseline, and memory_first's greedy
        # answer: its nearest piece beat the model's on held-out and real C, docs/experiments.md); a
        # sampled memory_first answer after the first also has the model write the pieces the memory
        # holds only at a level that is not sure. The model writes the others.
        eos = self.tok.eos_token_id
        looked_up = [T.encode(self.tok, h.piece) + [eos] if h else [eos] for h in hits]
        every = [r for r, h in enumerate(hits) if not (opt.memory_first and h)]
        unsure = [r for r, h in enumerate(hits) if not (opt.memory_first and h and h.sure)]
        sampling = opt.temperature > 0 and opt.beam <= 1

        def sampler(r: int, seed: int) -> str | None:
            """One sampled text of row `r` (guess and check's model candidates), in the function's names."""
            torch.manual_seed(seed)
            grammars = [SlotGrammar(self.tok, [(list(names[r].values()), rows[r].role in ("prologue", "param"))])] \
                if self.style.rename and grammar else []
            if operand_grammar is not None:
                grammars.append(operand_grammar)
            (row,) = self._generate_rows([srcs[r]], banned[[r]], self.cfg.max_chunk_tokens,
                                         DecodeOptions(temperature=REPAIR_TEMPERATURE), grammars)
            body, done = self._strip(row)
            return P.rename_slots(T.decode(self.tok, body), {v: k for k, v in names[r].items()}) if done else None

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
            texts[0] = data or None
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
                texts[p.index] = P.rename_slots(written, back)
                tr.pieces.append((prompt, texts[p.index]))
                tr.memory_levels.append(hit.level if hit else None)
                tr.memory_answers.append(others[r][0] if others[r] else None)
            tr.draft = Draft(skel, variables, arch, entry, needed, rows, texts, tr.memory_levels,
                             [r in by_model_set for r in range(len(rows))],
                             [[t for t in alt if t != texts[p.index]] for p, alt in zip(rows, others)], sampler)
            tr.asm = tr.draft.assemble(texts)
            outs.append(tr)
        return outs

    def _generate_rows(self, srcs: list[list[int]], banned, max_new: int, opt: DecodeOptions,
                       grammars: list = ()) -> list[list[int]]:
        """One decode per encoder input, all in one batch (inputs right-padded); `banned`: a bool tensor of
        the tokens each row may not write."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        from .generation import RepetitionStop, RowMask

        ids, mask = M.pad_rows(srcs, self.tok.pad_token_id)
        with torch.no_grad():
            res = self.model.generate(
                input_ids=ids, attention_mask=mask, max_new_tokens=max_new,
                stopping_criteria=StoppingCriteriaList([RepetitionStop()]),
                logits_processor=LogitsProcessorList([RowMask(banned), *grammars]),
                eos_token_id=self.tok.eos_token_id, pad_token_id=self.tok.pad_token_id, **_search(opt))
        return [r[1:] for r in res.tolist()]
