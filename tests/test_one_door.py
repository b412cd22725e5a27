"""One door for outside text, enforced: a widget that builds Content or Text from a value (a token, a
typed word, a spec, a path, an error) must take it from ``bertui.ui.text`` (``outside``, ``visible``,
``drawn``, ``fit``) or from a number format; anything else fails here until it goes through the door.

The check reads the source (``ast``): for every value named like outside text (``OUTSIDE``), the first
argument of ``Content(…)``, ``Content.styled(…)``,
``Text(…)``, ``Label(…)``, ``Static(…)``, the texts of ``Content.assemble((text, style), …)``, and every value
an f-string puts into them. A value passes when it is a literal, a call of the door or of a number
format, or a name assigned from one of those in the same function. ``REVIEWED`` lists the few that pass
by reading (each with why); a new one must be routed or reviewed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "bertui" / "ui"
SOURCES = sorted([*ROOT.glob("widgets/*.py"), *ROOT.glob("screens/**/*.py")])
DOOR = {"outside", "visible", "drawn", "fit"}
NUMBERS = {"signed", "percent", "probability_text", "row_percent", "matrix_percent", "nats", "len", "int",
           "round", "rank_lead", "score_bar", "key_for", "join", "percent_text", "rank_text", "share_text"}
BUILDERS = {"Content", "Text", "Label", "Static"}
OUTSIDE = re.compile(r"token|word|target|spec|path|error|reason|stage|model_type|candidate|first|note|"
                     r"message|\btext\b|\bname\b|plain")
"""What outside text is called here: a value whose source says none of these is the app's own."""
REVIEWED = {  # (file, source of the argument): why it is not outside text, or how it already went through
    ("attention_view.py", "token + ' ' * (cells - cell_len(token))"): "tokens drawn by _render_view",
    ("attention_view.py", "token"): "the matrix's tokens, drawn by _render_view",
    ("embedding_pane.py", "self.note"): "the app's own sentence",
    ("embedding_pane.py", "f'{name:<9}'"): "PARTS: token, segment, position",
    ("leaderboard.py", "text"): "Content(drawn(candidate))",
    ("leaderboard.py", "prefix.plain"): "rank, bar and percentage",
    ("mask_panel.py", "text"): "_fillings: drawn",
    ("model_card.py", "name.ljust(width)"): "the card's own row names",
    ("status_line.py", "text"): "a latency the app measured",
}


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        function = node.func
        return function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return None


def _built(node: ast.AST) -> bool:
    """Content or Text already (its own text checked where it was built)."""
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    return (isinstance(function, ast.Name) and function.id in ("Content", "Text")) or (
        isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
        and function.value.id in ("Content", "Text"))


def _values(node: ast.AST) -> str:
    """The source of what ``node`` puts on screen from elsewhere: an f-string's values, not its words."""
    if isinstance(node, ast.JoinedStr):
        return " ".join(ast.unparse(value.value) for value in node.values
                        if isinstance(value, ast.FormattedValue))
    return ast.unparse(node)


class Door(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.clean: set[str] = set()
        self.found: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.clean = self.clean, set()
        for _ in range(2):  # twice: a name may be clean because of one assigned after it in the source
            for statement in ast.walk(node):
                if isinstance(statement, ast.Assign) and self._safe(statement.value):
                    self.clean |= {target.id for target in statement.targets if isinstance(target, ast.Name)}
                elif isinstance(statement, (ast.For, ast.comprehension)) and self._safe(statement.iter):
                    self.clean |= {name.id for name in ast.walk(statement.target)
                                   if isinstance(name, ast.Name)}
        self.generic_visit(node)
        self.clean = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _safe(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self._safe(value.value) or not OUTSIDE.search(ast.unparse(value.value))
                       for value in node.values if isinstance(value, ast.FormattedValue))
        if isinstance(node, ast.Name):
            return node.id in self.clean or node.id.isupper()  # a module's constant
        if isinstance(node, ast.Subscript):
            return self._safe(node.value)
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            return self._safe(node.elt)
        if isinstance(node, ast.BinOp):
            return self._safe(node.left) and self._safe(node.right)
        if isinstance(node, ast.IfExp):
            return self._safe(node.body) and self._safe(node.orelse)
        name = _called(node)
        if name in DOOR or name in NUMBERS:
            return True
        if name in ("tuple", "list", "enumerate", "zip", "reversed") and node.args:  # type: ignore[attr-defined]
            return all(self._safe(arg) for arg in node.args)  # type: ignore[attr-defined]
        if name in ("ljust", "rjust", "strip", "upper", "lower", "replace", "truncate", "center"):
            return self._safe(node.func.value)  # type: ignore[attr-defined]
        return False

    def visit_Call(self, node: ast.Call) -> None:
        name = _called(node)
        function = node.func
        owner = function.value.id if isinstance(function, ast.Attribute) and \
            isinstance(function.value, ast.Name) else None
        texts: list[ast.AST] = []
        builds = name in BUILDERS or (owner in ("Content", "Text") and name in ("styled", "from_text"))
        if builds and node.args:
            texts.append(node.args[0])
        elif owner in ("Content", "Text") and name == "assemble":
            texts += [arg.elts[0] if isinstance(arg, ast.Tuple) else arg for arg in node.args]
        for text in texts:
            if isinstance(text, ast.Starred) or _built(text):
                continue  # built (and checked) where it is built
            source = ast.unparse(text)
            reviewed = (self.path.name, source) in REVIEWED
            if OUTSIDE.search(_values(text)) and not self._safe(text) and not reviewed:
                self.found.append(f"{self.path.name}:{text.lineno}: {source}")
        self.generic_visit(node)


def test_every_widget_draws_outside_text_through_the_door():
    found = []
    for path in SOURCES:
        door = Door(path)
        door.visit(ast.parse(path.read_text("utf-8")))
        found += door.found
    assert not found, "text drawn without bertui.ui.text:\n" + "\n".join(found)


def test_the_lint_catches_a_token_drawn_raw(tmp_path):
    widget = tmp_path / "widget.py"
    widget.write_text("def draw(token):\n    return Content(token), Content.styled(f'{token}!', 'bold')\n")
    door = Door(widget)
    door.visit(ast.parse(widget.read_text()))
    assert len(door.found) == 2
