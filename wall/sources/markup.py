"""Plain text from the small HTML subset networks send as captions."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4"})
_HIDDEN = frozenset({"script", "style", "template"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.closing = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.closing:
            # close() hands back an unfinished tag ("<p class=") as text, maybe in
            # pieces: drop everything from its "<" on.
            data, cut, _ = data.partition("<")
            self.hidden += 1 if cut else 0
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Text of ``html``: tags dropped, entities decoded, ``<p>``/``<br>`` kept as line breaks."""
    collector = _TextCollector()
    collector.feed(html)
    collector.closing = True
    collector.close()
    text = "".join(collector.parts)
    lines = [line.strip(" \t\r") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
