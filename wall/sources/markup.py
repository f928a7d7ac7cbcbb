"""Plain text from the small HTML subset networks send as captions.

Mastodon's HTML carries parts its web client never shows, and the caption
keeps to what a person sees there:

- a ``quote-inline`` paragraph (``RE: <link>`` at the top of a quote post,
  for clients that cannot show quotes) is dropped;
- ``invisible`` spans (the ``https://`` and the tail of a long link) are
  dropped, and an ``ellipsis`` span is followed by ``…``, as the client's
  stylesheet does: ``https://example.org/a/very/long/path`` reads
  ``example.org/a/very/lon…``;
- GoToSocial's ``gts-system-message`` block (its note on attachments it did
  not download) is dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4"})
_HIDDEN_TAGS = frozenset({"script", "style", "template"})
# GoToSocial appends a "gts-system-message" block listing attachments it
# did not download (its own test data): a note for its users, not the caption.
_HIDDEN_CLASSES = frozenset({"invisible", "quote-inline", "gts-system-message"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # Open elements, innermost last: (tag, hidden, ellipsis).
        self.open: list[tuple[str, bool, bool]] = []
        self.cut = False
        self.closing = False

    @property
    def hidden(self) -> bool:
        return self.cut or any(hidden for _, hidden, _ in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set(" ".join(value or "" for name, value in attrs if name == "class").split())
        if tag == "br":
            if not self.hidden:
                self.parts.append("\n")
        elif tag in _BLOCKS and not self.hidden:
            self.parts.append("\n\n")
        if tag not in _VOID:
            hidden = tag in _HIDDEN_TAGS or bool(classes & _HIDDEN_CLASSES)
            self.open.append((tag, hidden, "ellipsis" in classes))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or all(name != tag for name, _, _ in self.open):
            return
        while self.open:  # close what was left open inside, as browsers do
            name, _, ellipsis = self.open.pop()
            if ellipsis and not self.hidden:
                self.parts.append("…")
            if name == tag:
                break
        if tag in _BLOCKS and not self.hidden:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.closing:
            # close() hands back an unfinished tag ("<p class=") as text, maybe in
            # pieces: drop everything from its "<" on.
            data, cut, _ = data.partition("<")
            self.cut = self.cut or bool(cut)
            if data and not self.hidden:
                self.parts.append(data)
            return
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Text of ``html`` as shown: tags and hidden parts dropped, entities decoded,
    ``<p>``/``<br>`` kept as line breaks."""
    collector = _TextCollector()
    collector.feed(html)
    collector.closing = True
    collector.close()
    text = "".join(collector.parts)
    lines = [line.strip(" \t\r") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
