"""A read-only, syntax-highlighted view of a rendered file (JSON or YAML) that can be
scrolled, searched with the cursor and copied from, like an editor.

TextArea highlights through tree-sitter, which is an optional extra of Textual and not
installed here; without it the text would be plain. So the colours come from Pygments
(which Rich already brings) and are handed to TextArea as its own highlight map, under
the names its themes style. The output is then the same with or without tree-sitter,
which keeps snapshots stable.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.widgets import TextArea

# Pygments token type (as text, most specific first) -> TextArea theme highlight name.
_STYLE_NAMES = (
    ("Token.Name.Tag", "json.label"),  # JSON keys and YAML keys
    ("Token.Keyword.Constant", "boolean"),  # true / false / null
    ("Token.Literal.String", "string"),
    ("Token.Literal.Number", "number"),
    ("Token.Literal.Scalar", "string"),  # YAML plain scalars
    ("Token.Comment", "comment"),
    ("Token.Keyword", "keyword"),
    ("Token.Name.Variable", "type"),  # YAML anchors and aliases
    ("Token.Name.Constant", "constant.builtin"),
    ("Token.Punctuation", "punctuation.delimiter"),
)


def _style_name(token: Any) -> str | None:
    text = str(token)
    for prefix, name in _STYLE_NAMES:
        if text.startswith(prefix):
            return name
    return None


def highlights(text: str, language: str) -> dict[int, list[tuple[int, int | None, str]]]:
    """Per line: (start byte, end byte, highlight name), as TextArea keeps them."""
    from pygments.lexers import JsonLexer, YamlLexer  # type: ignore[import-untyped]

    lexer = JsonLexer() if language == "json" else YamlLexer()
    key_style = "json.label" if language == "json" else "yaml.field"
    out: dict[int, list[tuple[int, int | None, str]]] = {}
    line, column = 0, 0  # column in UTF-8 bytes, as TextArea counts
    for token, value in _tokens(lexer, text):
        name = _style_name(token)
        if name == "json.label":
            name = key_style
        for index, part in enumerate(value.split("\n")):
            if index:
                line, column = line + 1, 0
            width = len(part.encode())
            if name and width:
                out.setdefault(line, []).append((column, column + width, name))
            column += width
    return out


def _tokens(lexer: Any, text: str) -> Any:
    # get_tokens strips a trailing newline and may add one; offsets do not matter here,
    # only the running line/column, so the plain token stream is what we want.
    lexer.stripnl = False
    lexer.ensurenl = False
    return lexer.get_tokens(text)


class CodeView(TextArea):
    """`CodeView(text, "json" | "yaml")`: read-only, line numbers, Pygments colours."""

    DEFAULT_CSS = """
    CodeView { height: 1fr; }
    """
    # TextArea takes ctrl+e (end of line, also `end`); here it belongs to the app: Export.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+e", "pass_to_app", show=False)]

    def __init__(self, text: str, language: str, **kwargs: Any) -> None:
        self.code_language = language
        super().__init__(text, read_only=True, show_line_numbers=True, soft_wrap=False,
                         highlight_cursor_line=False, **kwargs)

    def action_pass_to_app(self) -> None:
        raise SkipAction()

    def _build_highlight_map(self) -> None:
        # Replaces TextArea's tree-sitter query with the Pygments tokens (see the module doc).
        self._line_cache.clear()
        self._highlights.clear()
        self._highlights.update(highlights(self.text, self.code_language))
