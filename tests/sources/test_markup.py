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
            "example.com…",
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


def test_quote_inline_paragraph_is_dropped() -> None:
    html = (
        '<p class="quote-inline">RE: <a href="https://m.s/@a/1"><span class="invisible">'
        'https://</span><span class="ellipsis">m.s/@a/1</span><span class="invisible">'
        "</span></a></p><p>Notre classe aussi</p>"
    )
    assert html_to_text(html) == "Notre classe aussi"


def test_class_lists_and_nested_spans_inside_a_hidden_part() -> None:
    html = '<p class="x quote-inline y">RE: <span><span>lien</span></span> fin</p><p>reste</p>'
    assert html_to_text(html) == "reste"


def test_ellipsis_only_after_a_shortened_link() -> None:
    html = (
        '<p><a href="https://example.org/a/very/long/path"><span class="invisible">https://'
        '</span><span class="ellipsis">example.org/a/very/lon</span><span class="invisible">'
        'g/path</span></a> et <a href="https://b.ca"><span class="invisible">https://</span>'
        '<span class="">b.ca</span><span class="invisible"></span></a></p>'
    )
    assert html_to_text(html) == "example.org/a/very/lon… et b.ca"


def test_line_breaks_and_emoji_survive() -> None:
    html = "<p>Un 💚🌿<br />deux 👩🏽\u200d🌾</p><p>trois ♻️</p>"
    assert html_to_text(html) == "Un 💚🌿\ndeux 👩🏽\u200d🌾\n\ntrois ♻️"
