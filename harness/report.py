"""Failure-mode reports: a self-contained HTML page and a Markdown summary for a run directory."""
from __future__ import annotations

import base64
import collections
import html
import io
import json
from pathlib import Path

from .evaluate import corpora_dir, read_config, read_results
from .metrics import group_units, length_bucket, pass_at, summarize


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def charts(rows: list[dict], ks: list[int]) -> dict[str, str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    cats = collections.Counter(r["category"] for r in rows if r["category"] != "pass")
    if cats:
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(cats) + 1))
        names = [c for c, _ in cats.most_common()][::-1]
        ax.barh(names, [cats[c] for c in names], color="#c0504d")
        ax.set_xlabel("samples")
        ax.set_title("Fault categories of failing samples")
        out["categories"] = _png(fig)
    buckets = collections.defaultdict(list)
    for r in rows:
        buckets[length_bucket(r["lines"])].append(r)
    order = [b for b in ("<= 10 lines", "<= 20 lines", "<= 40 lines", "> 40 lines") if b in buckets]
    if order:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.bar(order, [100 * pass_at(buckets[b], 1).value for b in order], color="#4f81bd")
        ax.set_ylabel("pass@1 (%)")
        ax.set_ylim(0, 100)
        ax.set_title("Accuracy by C source length")
        out["length"] = _png(fig)
    fig, ax = plt.subplots(figsize=(6, 3))
    by_target = collections.defaultdict(list)
    for r in rows:
        by_target[f"{r['corpus']} {r['arch']} -{r['opt']}"].append(r)
    max_n = max((len(s) for s in group_units(rows).values()), default=1)
    kk = list(range(1, max_n + 1))
    for name, rs in sorted(by_target.items()):
        ax.plot(kk, [100 * pass_at(rs, k).value for k in kk], marker="o", label=name)
    ax.set_xlabel("k")
    ax.set_ylim(0, 100)
    ax.set_ylabel("pass@k (%)")
    ax.set_title("pass@k")
    ax.legend(fontsize=7)
    out["passk"] = _png(fig)
    return out


def _target(r: dict) -> str:
    return f"{r['corpus']} {r['arch']} -{r['opt']}"


def baseline_table(rows: list[dict], baselines: list[tuple[str, list[dict]]]) -> list[str]:
    """pass@1 of this run beside trivial translators on the same benchmarks."""
    names = [n for n, _ in baselines]
    lines = ["", "## Beside trivial baselines (pass@1 on the same set)", "",
             "| corpus / target | this run | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for key in sorted({_target(r) for r in rows}):
        cells = [pass_at([r for r in rs if _target(r) == key], 1) for rs in [rows] + [b for _, b in baselines]]
        lines.append(f"| {key} | " + " | ".join(f"{100 * e.value:.1f}%" if e.count else "-" for e in cells) + " |")
    return lines


def repair_table(summary: dict) -> list[str]:
    """Guess and check beside greedy pass@1, with the verifier calls it spent; nothing for a run without it."""
    rows = [(name, t) for name, t in summary["headline"].items() if "repair_calls" in t]
    if not rows:
        return []
    (key,) = {k for _, t in rows for k in t if k.startswith("repaired@")}
    lines = ["", f"## Guess and check: greedy, then pieces rewritten, {key.partition('@')[2]} verifier calls at most",
             "", f"| corpus / target | pass@1 | {key} | verifier calls spent |", "|---|---|---|---|"]
    for name, t in rows:
        lines.append(f"| {name} | {100 * t['pass@1']['value']:.1f}% | {100 * t[key]['value']:.1f}% | "
                     f"{t['repair_calls']} |")
    return lines


def markdown(run: Path, rows: list[dict], summary: dict, ks: list[int], compare: list[tuple[str, dict]],
             baselines: list[tuple[str, list[dict]]] = ()) -> str:
    lines = [f"# neuralcc evaluation report: {run.name}", "",
             f"{summary['samples']} samples over {summary['benchmarks']} benchmarks. "
             "A translation counts only when the verifier passed it.", "",
             "| corpus / target | benchmarks | " + " | ".join(f"pass@{k}" for k in ks) + " | "
             + " | ".join(f"verified@{k}" for k in ks) + " |",
             "|---|---|" + "---|" * (2 * len(ks))]
    for name, t in summary["headline"].items():
        cells = [f"{100 * t[f'pass@{k}']['value']:.1f}% [{100 * t[f'pass@{k}']['low']:.1f}, "
                 f"{100 * t[f'pass@{k}']['high']:.1f}]" if t[f'pass@{k}']['count'] else "-" for k in ks]
        cells += [f"{100 * t[f'verified@{k}']['value']:.1f}%" if t[f'verified@{k}']['count'] else "-" for k in ks]
        lines.append(f"| {name} | {t['benchmarks']} | " + " | ".join(cells) + " |")
    if baselines:
        lines += baseline_table(rows, list(baselines))
    lines += repair_table(summary)
    lines += ["", "## Verdict categories (share of samples)", ""]
    lines += [f"- `{c}`: {100 * v:.1f}%" for c, v in summary["categories"].items()]
    if summary["refused"]:
        lines += ["", "## Refused, by construct (benchmark x target)", ""]
        lines += [f"- {c}: {n}" for c, n in summary["refused"].items()]
    if "mutant_recovery" in summary:
        lines += ["", f"Mutant recovery: the verdict named the injected fault in "
                      f"{100 * summary['mutant_recovery']:.1f}% of the mutants whose behaviour changed."]
    for title, key in (("By C source length", "by_length"), ("By construct", "by_construct"),
                       ("By target", "by_target")):
        lines += ["", f"## {title} (pass@1)", ""]
        lines += [f"- {g}: {100 * e['value']:.1f}% (n={e['count']})" for g, e in summary[key].items()]
    for other_name, diff in compare:
        lines += ["", f"## Compared with {other_name}", "",
                  f"Fixed: {len(diff['fixed'])}, regressed: {len(diff['regressed'])}, "
                  f"both pass: {diff['both']}, both fail: {diff['neither']}"]
        lines += [f"- fixed: {k}" for k in diff["fixed"][:50]]
        lines += [f"- regressed: {k}" for k in diff["regressed"][:50]]
    return "\n".join(lines) + "\n"


def diff_runs(rows: list[dict], other: list[dict]) -> dict:
    def status(rs):
        return {f"{b} [{a} -{o}]": any(r["passed"] for r in s) for (b, a, o), s in group_units(rs).items()}

    mine, theirs = status(rows), status(other)
    shared = sorted(set(mine) & set(theirs))
    return {"fixed": [k for k in shared if mine[k] and not theirs[k]],
            "regressed": [k for k in shared if theirs[k] and not mine[k]],
            "both": sum(mine[k] and theirs[k] for k in shared),
            "neither": sum(not mine[k] and not theirs[k] for k in shared)}


_CSS = """body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}pre{background:#f7f7f7;padding:6px;font-size:12px;
overflow-x:auto;margin:0}.cols{display:flex;gap:1em}.cols>div{flex:1;min-width:0}.hit{background:#ffb3b3}
.pass{color:#2a7}.fail{color:#c33}h3{margin-top:2em;border-top:1px solid #ddd;padding-top:1em}"""


def _asm_block(text: str, hit: int | None) -> str:
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        cls = ' class="hit"' if hit == i else ""
        out.append(f"<span{cls}>{i:4d}  {html.escape(line)}</span>")
    return "<pre>" + "\n".join(out) + "</pre>"


def _anchor(r: dict) -> str:
    import re
    return re.sub(r"[^A-Za-z0-9_-]+", "_", f"{r['benchmark'].split('://')[-1]}-{r['arch']}-{r['opt']}-{r['sample']}")


def failure_page(r: dict, bench_source: str, gcc_asm: str) -> str:
    v = r.get("verdict") or {}
    parts = [f'<h3 id="{_anchor(r)}">{html.escape(r["benchmark"])} [{r["arch"]} -{r["opt"]}] sample {r["sample"]}: '
             f'<span class="fail">{html.escape(r["category"])}</span></h3>',
             f"<p>{html.escape(r.get('message', ''))}</p>"]
    facts = [(k, v.get(k)) for k in ("line", "text", "pc", "address", "instruction", "register", "symbol") if v.get(k)]
    if r.get("injected"):
        facts.insert(0, ("injected fault", r["injected"]))
    if facts:
        parts.append("<table>" + "".join(f"<tr><th>{k}</th><td><code>{html.escape(str(x))}</code></td></tr>"
                                         for k, x in facts) + "</table>")
    ce = v.get("counterexample")
    if ce:
        keys = sorted(set(ce["reference"]) | set(ce["candidate"]))
        parts.append(f"<p>Counterexample (shrunk by {ce['shrunk_by']}): <code>"
                     + html.escape(", ".join(f"{k} = {x}" for k, x in ce["input"].items())) + "</code></p>")
        parts.append("<table><tr><th>output</th><th>reference</th><th>candidate</th></tr>" + "".join(
            f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(str(ce['reference'].get(k, '')))}</code></td>"
            f"<td><code>{html.escape(str(ce['candidate'].get(k, '')))}</code></td></tr>" for k in keys)
            + f"<tr><td>instructions</td><td>{ce.get('reference_instructions')}</td>"
              f"<td>{ce.get('candidate_instructions')}</td></tr></table>")
    parts.append(f"<details open><summary>C source</summary><pre>{html.escape(bench_source)}</pre></details>")
    parts.append('<div class="cols"><div><b>candidate</b>' + _asm_block(r.get("asm", ""), v.get("line"))
                 + '</div><div><b>gcc</b>' + _asm_block(gcc_asm, None) + "</div></div>")
    return "\n".join(parts)


def write_report(run: Path, compare: list[Path] | None = None, max_pages: int = 200,
                 baselines: list[Path] | None = None) -> tuple[Path, Path]:
    rows = read_results(run)
    if not rows:
        raise ValueError(f"{run}: results.jsonl is empty")
    config = read_config(run)
    ks = config.get("config", {}).get("ks") or [1]
    summary = summarize(rows, ks)
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    diffs = [(str(other), diff_runs(rows, read_results(other))) for other in (compare or [])]
    base = [(p.name, read_results(p)) for p in (baselines or [])]
    md = markdown(run, rows, summary, ks, diffs, base)
    md_path = run / "report.md"
    md_path.write_text(md)

    from neuralcc.corpora import load_benchmarks
    from neuralcc.verifier.reference import compile_to_asm

    sources: dict[str, str] = {}
    pages = []
    failing = [r for r in rows if not r["passed"]]
    for r in failing[:max_pages]:
        if r["benchmark"] not in sources:
            try:
                shared = corpora_dir(config.get("config", {}).get("shared"))
                sources[r["benchmark"]] = load_benchmarks(r["benchmark"], shared_dir=shared)[0].source
            except Exception as err:
                sources[r["benchmark"]] = f"(source unavailable: {err})"
        try:
            gcc = compile_to_asm(sources[r["benchmark"]], r["arch"], r["opt"])
        except Exception as err:
            gcc = f"(gcc failed: {err})"
        pages.append(failure_page(r, sources[r["benchmark"]], gcc))
    images = charts(rows, ks)
    body = [f"<h1>neuralcc evaluation report: {html.escape(run.name)}</h1>",
            f"<p>Configuration: <code>{html.escape(json.dumps(config.get('config', {})))}</code></p>",
            _md_table_to_html(md)]
    for key in ("categories", "length", "passk"):
        if key in images:
            body.append(f'<img src="{images[key]}" alt="{key}">')
    index = "".join(f'<li><a href="#{_anchor(r)}">{html.escape(r["benchmark"])} [{r["arch"]} -{r["opt"]}] '
                    f'#{r["sample"]}: {html.escape(r["category"])}</a></li>' for r in failing[:max_pages])
    body.append(f"<h2>Failing samples ({len(failing)}{', first ' + str(max_pages) if len(failing) > max_pages else ''})"
                f"</h2><ul>{index}</ul>")
    body += pages
    html_path = run / "report.html"
    html_path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>neuralcc report {html.escape(run.name)}"
                         f"</title><style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    return html_path, md_path


def _inline(text: str) -> str:
    import re
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))


def _md_table_to_html(md: str) -> str:
    """The Markdown summary, rendered simply: tables, headings, bullets and paragraphs."""
    out, in_table, in_list = [], False, False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            if level > 1:
                out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    if in_table:
        out.append("</table>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)
