"""Every action of the main screen, declared once: its key, footer label, palette entry and help line.

The main screen's bindings, the command palette and the help screen are all read from ``ACTIONS``,
as harlequin's ``actions.py`` does, so a key cannot be described in one place and bound in another.
Keys that edit the sentences are priority bindings: they run in order with the keys typed around them
(a non-priority binding runs after the key has bubbled up, by which time later keys are in).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    keys: str
    action: str
    label: str
    """The footer's (and, without ``help``, the help line's) words."""
    help: str = ""
    """The help screen's line, the key's tooltip and the palette entry's description."""
    palette: str | None = None
    """The command palette's title; None: not in the palette."""
    show: bool = False
    """In the footer."""
    key_display: str | None = None
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.label, show=self.show, key_display=self.key_display,
                       priority=self.priority, tooltip=self.help)


ACTIONS: tuple[Action, ...] = (
    Action("ctrl+t", "insert_mask", "Mask", "Insert the model's mask token at the cursor", "Insert mask",
           show=True, priority=True),
    Action("ctrl+b", "toggle('pair_mode')", "Pair", "Pair mode: show or hide sentence B", "Toggle pair mode",
           show=True, priority=True),
    Action("plus,equals_sign", "change_k(1)", "top-k",
           "More predictions per mask (top-k + 1; not while typing)",
           "More predictions per mask", show=True, key_display="+ -"),
    Action("minus", "change_k(-1)", "Fewer", "Fewer predictions per mask (top-k − 1; not while typing)",
           "Fewer predictions per mask"),
    Action("ctrl+o", "switch_model", "Model", "Load another model: a hub id, a local folder, or demo",
           "Switch model…", show=True),
    Action("f8", "restart_model", "Restart model",
           "Restart the model's process after it stopped (your text is kept)", "Restart model"),
    Action("escape", "cancel_download", "Cancel download",
           "Stop downloading the model being loaded from the hub (loading it again starts over)",
           "Cancel the model's download"),
    Action("ctrl+g", "use_demo", "Use the demo model",
           "The tiny built-in BERT: loads offline, random predictions", "Use the demo model"),
    Action("ctrl+l", "clear", "Clear sentences", "Empty sentences A and B", "Clear sentences", priority=True),
    Action("ctrl+y", "copy_json", "Copy results as JSON",
           "Copy results as JSON: tokens, predictions and ranking on screen", "Copy results as JSON"),
    Action("ctrl+r", "export", "Export results to a file",
           "Export results to a file: JSON, Markdown report, CSV of tokens or leaderboard", "Export…"),
    Action("f2", "model_card", "Model card", "Model card: architecture, sizes, heads, device, load time",
           "Model card"),
    Action("f3", "toggle('show_attention')", "Attention view",
           "Attention view: the selected token's, by layer and head", "Attention view"),
    Action("f4", "toggle('show_embeddings')", "Embedding breakdown",
           "Embedding breakdown: token, segment, position parts", "Embedding breakdown"),
    Action("f5", "toggle('show_surprisal')", "Surprisal strip",
           "Surprisal strip: each token's rank masked alone; PLL and PLL word-l2r (in pair mode: "
           "which sentence the model prefers)", "Surprisal strip"),
    Action("f6", "toggle('word_l2r')", "PLL variant",
           "Colour the surprisal strip by PLL or by PLL word-l2r (while the strip is on)",
           "Switch the strip's PLL variant"),
    Action("f7", "edit_targets", "Target words",
           "Target words: type words to score at every mask (he, she, they)", "Edit target words"),
    Action("f9", "jump_token", "Go to token", "Go to a token by its index: for long inputs",
           "Go to token…"),
    Action("f10", "toggle('show_lens')", "Layer lens",
           "Layer lens: the selected token's (or first mask's) top 3 at every layer; where the answer forms",
           "Layer lens"),
    Action("f12", "toggle('show_why')", "Why strip",
           "Why strip: how much each token moves the selected mask's prediction (gradient × input first)",
           "Why strip"),
    Action("e", "why('method')", "Why: method",
           "Why strip: next method (gradient × input, gradient norm, integrated gradients, rollout)",
           "Why: next method"),
    Action("t", "why('target')", "Why: token", "Why strip: explain the mask's next prediction (top-1, 2…)",
           "Why: explain the next prediction"),
    Action("c", "why('contrast')", "Why: rather than",
           "Why strip: rather than which prediction (none, then each other of the top-k)",
           "Why: rather than the next prediction"),
    Action("v", "why('words')", "Why: words", "Why strip: each word's pieces summed, or each piece",
           "Why: words or pieces"),
    Action("f1", "help", "Help", "This list of keys", "bertui keys", show=True),
)
"""In the footer's and the help screen's order."""

PALETTE_ONLY: tuple[Action, ...] = (
    Action("m", "toggle_mask(False)", "Mask the selected token", "Or unmask it; the text stays as typed",
           "Mask the selected token"),
    Action("w", "toggle_mask(True)", "Mask the selected word",
           "Every WordPiece of it (whole-word masking), or unmask", "Mask the selected word"),
)
"""Palette entries for keys the token grid binds itself (its keys work while it has focus)."""

BINDINGS: list[Binding] = [action.binding() for action in ACTIONS]
PALETTE: tuple[Action, ...] = tuple(action for action in (*ACTIONS, *PALETTE_ONLY) if action.palette)


def key_for(action: str) -> str:
    """The key of ``action``, as the help screen shows it (for sentences that name it)."""
    return next(a.key_display or a.keys for a in (*ACTIONS, *PALETTE_ONLY) if a.action == action)
