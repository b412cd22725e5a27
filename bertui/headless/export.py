"""Export what the app shows: JSON (the headless commands' keys), CSV (token grid, leaderboard) and a
Markdown report. Plain functions of the request and its result; no Textual, no torch.

Every format can be written as UTF-8 whatever the text holds, a lone surrogate (from text pasted out of
a broken source) included: JSON writes it as a ``\\udxxx`` escape, which JSON readers decode back to
the same string; Markdown shows it as that escape, as it shows every non-printable character; CSV, which
has no escapes, holds U+FFFD (the replacement character) in its place.
"""

from __future__ import annotations

import csv
import io
import json
import re

from bertui.engine.inside_results import Explained, Lens, Near, Neighbour, Unavailable
from bertui.engine.results import Analysis, AnalysisRequest, ModelInfo, RankedCandidate, Surprisal
from bertui.headless.documents import PLL_VARIANTS, compare_pair
from bertui.headless.provenance import provenance

# json.dumps(ensure_ascii=False) escapes C0 controls only: DEL and the C1 range (0x9b is a one-byte CSI)
# would reach a terminal that prints the JSON, and a lone surrogate cannot be encoded at all.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(document: object, *, indent: int | None = 2) -> str:
    """JSON that keeps text readable (no \\u for accents or CJK) but holds no character that acts on a
    terminal or cannot be written as UTF-8: those are \\u escapes, which JSON readers decode back.
    ``indent=None``: one line (a JSONL record)."""
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def to_json(request: AnalysisRequest, analysis: Analysis, info: ModelInfo | None = None) -> str:
    """One document: each part under the name of the command that prints it, with the same keys."""
    document: dict = {"text_a": request.text_a, "text_b": request.text_b,
                      "tokenize": analysis.encoding.to_json(),
                      "fill": {"masks": [mask.to_json() for mask in analysis.masks]}}
    if analysis.words:
        document["fill"]["words"] = [word.to_json() for word in analysis.words]
    if analysis.targets:
        document["fill"]["targets"] = [mask.to_json() for mask in analysis.targets]
    if analysis.joint is not None:
        document["fill"]["joint"] = analysis.joint.to_json()
    if analysis.next_sentence is not None:
        document["next_sentence"] = {"is_next": analysis.next_sentence.is_next,
                                     "not_next": analysis.next_sentence.not_next}
    if analysis.ranking is not None:
        document["nsp"] = {"first": request.text_a, "ranking": [r.to_json() for r in analysis.ranking]}
    if analysis.surprisal is not None:
        document["surprisal"] = analysis.surprisal.to_json()
    if analysis.alone is not None:
        document["score"] = _each_alone(request, analysis.alone)
    if request.inside is not None and analysis.inside is not None:
        document["views"] = request.inside.to_json()  # what was asked of them: replay asks it again
        document.update(analysis.inside.to_json())
    if info is not None:
        document["info"] = info.to_json()
        document["provenance"] = provenance(info)
    return dumps(document)


def _each_alone(request: AnalysisRequest, alone: tuple[Surprisal, Surprisal]) -> dict:
    """Sentences A and B each scored alone, and which the model prefers: ``bertui score A B
    --compare-pairs``'s document."""
    sentences = [{"text": text, "pair": None, **surprisal.to_json()}
                 for text, surprisal in zip((request.text_a, request.text_b), alone)]
    return {"sentences": sentences, "pairs": [compare_pair(*sentences)]}


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return _LONE_SURROGATE.sub("\ufffd", out.getvalue())


def grid_csv(analysis: Analysis) -> str:
    encoding = analysis.encoding
    return _csv(["index", "token", "input_id", "token_type_id", "attention_mask", "start", "end"],
                ((i, token, token_id, segment, attended, start, end)
                 for i, (token, token_id, segment, attended, (start, end)) in enumerate(zip(
                     encoding.tokens, encoding.input_ids, encoding.token_type_ids, encoding.attention_mask,
                     encoding.offsets))))


def ranking_csv(ranking: tuple[RankedCandidate, ...]) -> str:
    return _csv(["rank", "candidate", "is_next", "not_next"],
                ((r.rank, r.candidate, r.is_next, r.not_next) for r in ranking))


def _cell(text: str) -> str:
    """Markdown table cell: user text shown literally, whatever characters it holds."""
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text) or " "


def _escape(ch: str) -> str:
    """Python's escape for one character: \\x1b, \\u200b, \\udce9 (a lone surrogate), \\U000e0001."""
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def markdown_report(request: AnalysisRequest, analysis: Analysis, info: ModelInfo | None = None) -> str:
    lines = ["# bertui report", ""]
    if info is not None:
        demo = " — demo model, random predictions" if info.is_demo else ""
        lines += [f"Model: {_cell(info.spec)} ({info.architecture}, {info.layers} layers, "
                  f"{info.parameters:,} parameters, {info.device}, {info.dtype}){demo}", ""]
    lines += ["## Input", "", f"- Sentence A: {_cell(request.text_a)}"]
    if request.text_b is not None:
        lines.append(f"- Sentence B: {_cell(request.text_b)}")
    encoding = analysis.encoding
    lines += ["", "## Tokens", "", "| # | token | id | segment | mask |", "|---|---|---|---|---|"]
    lines += [f"| {i} | {_cell(t)} | {token_id} | {segment} | {attended} |" for i, (t, token_id, segment,
                                                                                    attended)
              in enumerate(zip(encoding.tokens, encoding.input_ids, encoding.token_type_ids,
                               encoding.attention_mask))]
    if encoding.truncated:
        lines += ["", f"{encoding.truncated} tokens were cut at the model's maximum length."]
    for mask in analysis.masks:
        lines += ["", f"## Predictions for the mask at token {mask.position}", "",
                  "| token | score | sentence |", "|---|---|---|"]
        lines += [f"| {_cell(p.token_str)} | {p.score:.4f} | {_cell(p.sequence)} |" for p in mask.predictions]
    lines += _measures_report(request, analysis) + _inside_report(analysis)
    if analysis.next_sentence is not None:
        lines += ["", "## Next sentence", "", f"IsNext {analysis.next_sentence.is_next:.4f}, "
                  f"NotNext {analysis.next_sentence.not_next:.4f}"]
    if analysis.ranking:
        lines += ["", "## Candidate next sentences", "", "| rank | candidate | IsNext |", "|---|---|---|"]
        lines += [f"| {r.rank} | {_cell(r.candidate)} | {r.is_next:.4f} |" for r in analysis.ranking]
    return "\n".join(lines) + "\n"


def _measures_report(request: AnalysisRequest, analysis: Analysis) -> list[str]:
    """The target words, the joint fillings and the sentence scores, as report sections."""
    lines: list[str] = []
    for mask in analysis.targets:
        lines += ["", f"## Target words at the mask at token {mask.position}", "",
                  "| target | pieces | probability | log-prob | rank | note |", "|---|---|---|---|---|---|"]
        lines += [f"| {_cell(t.target)} | {len(t.pieces)} | "
                  f"{'' if t.probability is None else f'{t.probability:.6g}'} | "
                  f"{'' if t.log_prob is None else f'{t.log_prob:.4f}'} | {t.rank or ''} | "
                  f"{_cell(t.note)} |" for t in mask.scores]
    if analysis.joint is not None:
        lines += ["", f"## Together: joint fillings of the masks at tokens "
                  f"{', '.join(map(str, analysis.joint.positions))} (beam {analysis.joint.beam})", "",
                  "| tokens | score (log-prob) | sentence |", "|---|---|---|"]
        lines += [f"| {_cell(' · '.join(f.tokens))} | {f.score:.4f} | {_cell(f.sequence)} |"
                  for f in analysis.joint.fillings]
    if analysis.surprisal is not None:
        lines += ["", "## Sentence scores", "",
                  f"PLL {analysis.surprisal.pseudo_log_likelihood:.4f}, "
                  f"PLL word-l2r {analysis.surprisal.pll_word_l2r:.4f} (natural logs)"]
    if analysis.alone is not None:
        verdict = _each_alone(request, analysis.alone)["pairs"][0]
        lines += ["", "## Which sentence the model prefers (each scored alone)", "",
                  "| variant | A | B | prefers | margin |", "|---|---|---|---|---|"]
        for variant, a, b in zip(PLL_VARIANTS, *((s.pseudo_log_likelihood, s.pll_word_l2r)
                                                  for s in analysis.alone)):
            lines.append(f"| {variant} | {a:.4f} | {b:.4f} | {verdict[variant]['prefers']} | "
                         f"{verdict[variant]['margin']:.4f} |")
    return lines


def _inside_report(analysis: Analysis) -> list[str]:
    """The views inside a prediction that were open: the lens, the explanation, the nearest tokens."""
    inside = analysis.inside
    if inside is None:
        return []
    lines: list[str] = []
    for name, view in (("Layer lens", inside.lens), ("Why", inside.explained), ("Near", inside.near)):
        if isinstance(view, Unavailable):
            lines += ["", f"## {name}", "", _cell(view.reason)]
    if isinstance(inside.lens, Lens):
        lines += _lens_report(inside.lens)
    if isinstance(inside.explained, Explained):
        lines += _why_report(inside.explained)
    if isinstance(inside.near, Near):
        lines += ["", f"## Nearest vocabulary entries (in context at layer {inside.near.layer})", "",
                  "| # | token | in the table | in context |", "|---|---|---|---|"]
        lines += [f"| {t.position} | {_cell(t.token)} | {_words(t.table)} | {_words(t.context)} |"
                  for t in inside.near.tokens]
    return lines


def _words(found: tuple[Neighbour, ...]) -> str:
    return _cell(" · ".join(n.token_str for n in found))


def _lens_report(lens: Lens) -> list[str]:
    lines: list[str] = []
    for mask in lens.masks:
        lines += ["", f"## Layer lens at token {mask.position} (formed at layer {mask.formed_at} of "
                  f"{lens.layers})", "", "| layer | top | final's rank | KL (nats) |", "|---|---|---|---|"]
        for layer in mask.layers:
            top = " · ".join(f"{c.token_str} {c.probability:.4f}" for c in layer.top)
            lines.append(f"| {layer.layer} | {_cell(top)} | {layer.final_rank} | {layer.kl:.4f} |")
    return lines


def _why_report(explained: Explained) -> list[str]:
    lines: list[str] = []
    for why in explained.explanations:
        rather = "" if why.contrast is None else f" rather than {_cell(why.contrast.token_str)}"
        lines += ["", f"## Why {_cell(why.target.token_str)}{rather} at token {why.position} ({why.method})",
                  "", "| # | token | score |", "|---|---|---|"]
        lines += [f"| {i} | {_cell(token)} | {score:.6f} |"
                  for i, (token, score) in enumerate(zip(explained.encoding.tokens, why.scores))]
    return lines


FORMATS = {
    "json": "JSON: everything, with the headless commands' keys",
    "md": "Markdown report",
    "csv": "CSV: the token grid",
    "ranking.csv": "CSV: the next-sentence leaderboard",
}
"""What the app can write, by name; a name is also the file ending it is chosen by."""


def format_for(path: str, current: str = "json") -> str:
    """The format a file name asks for: by its ending, the longest that matches; else ``current``.

    A plain ``.csv`` keeps a CSV format already chosen (both CSVs end in it)."""
    name = path.lower()
    if name.endswith(".markdown"):
        return "md"
    if name.endswith(".csv") and current.endswith("csv") and not name.endswith(".ranking.csv"):
        return current
    for fmt in sorted(FORMATS, key=len, reverse=True):
        if name.endswith("." + fmt):
            return fmt
    return current


def render(fmt: str, request: AnalysisRequest, analysis: Analysis, info: ModelInfo | None = None) -> str:
    """The text of one format, always encodable as UTF-8; ValueError says why there is nothing to write."""
    if fmt == "json":
        return to_json(request, analysis, info)
    if fmt == "md":
        return markdown_report(request, analysis, info)
    if fmt == "csv":
        return grid_csv(analysis)
    if fmt == "ranking.csv":
        if analysis.ranking is None:
            raise ValueError("This model has no next-sentence head: there is no leaderboard to export.")
        if not analysis.ranking:
            raise ValueError("No candidates: the leaderboard is empty.")
        return ranking_csv(analysis.ranking)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
