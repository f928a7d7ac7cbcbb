import pytest

from wall.sources.markup import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Un</p><p>Deux<br>trois<br/>quatre</p>", "Un\n\nDeux\ntrois\nquatre"),
        ("<p>l&#39;école &amp; &lt;b&gt; &eacute;t&eacute; &#x1F33F;</p>", "l'école & <b> été 🌿"),
        (
            '<a href="https://x/tags/a" class="mention hashtag" rel="tag">'
            "#<span>perséVERT2024</span></a>",
            "#perséVERT2024",
        ),
        (
            '<a href="https://example.com/a"><span class="invisible">https://</span>'
            '<span class="ellipsis">example.com</span><span class="invisible">/a</span></a>',
            "https://example.com/a",
        ),
        ("<script>alert(1)</script><style>p{}</style>visible", "visible"),
        ("<img src=x onerror=alert(1)>texte", "texte"),
        ("  <p>  espace  </p>  ", "espace"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_no_tag_survives_an_unclosed_or_broken_tag() -> None:
    assert html_to_text("<p>ok<b onclick='x'>gras<p") == "okgras"
    assert html_to_text("fin <a href='x' ") == "fin"
    assert html_to_text("1 &lt; 2 <") == "1 < 2"
