"""``bertui lens | explain | near``: the views inside a prediction as JSON, for one text or a stream's line.

Each line is answered on its own (one forward each; integrated gradients batch their steps inside it), so
a stream of these commands is not batched across lines as ``fill`` is. Keys (README, "Look inside a
prediction"): ``lens`` → ``{"tokens", "layers", "masks": [{"position", "final", "formed_at", "layers":
[{"layer", "top", "final_rank", "final_probability", "kl", "targets"}]}], "notes"}``; ``explain`` →
``{"tokens", "masks": [{"position", "method", "target", "contrast", "value", "scores", ...}], "notes"}``;
``near`` → ``{"tokens", "layer", "near": [{"position", "token", "table", "context"}], "notes"}``.
"""

from __future__ import annotations

from typing import Any

COMMANDS = ("lens", "explain", "near")


def inside_json(engine: Any, options: Any, text: str, pair: str | None,
                targets: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON of ``options.command`` (one of COMMANDS; ``options``: a stream's Options) for one text."""
    if options.command == "lens":
        return dict(engine.lens(text, pair, top_k=options.top_k, targets=targets).to_json())
    if options.command == "explain":
        explained = engine.explain(text, pair, method=options.method, target=options.target,
                                   contrast=options.contrast, steps=options.steps)
        return dict(explained.to_json(words=options.words))
    return dict(engine.near(text, pair, layer=options.layer, k=options.top_k).to_json())


def options_json(options: Any) -> dict[str, Any]:
    """What a stream header records of these commands' options (``bertui replay`` reads them back)."""
    if options.command == "lens":
        return {"top_k": options.top_k, "targets": list(options.targets)}
    if options.command == "explain":
        return {"method": options.method, "target": options.target, "contrast": options.contrast,
                "steps": options.steps, "words": options.words}
    return {"layer": options.layer, "top_k": options.top_k}
