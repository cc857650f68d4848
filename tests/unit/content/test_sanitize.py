"""The body sanitizer against hostile HTML."""

import pytest

from kairan.content.sanitize import sanitize_html

HOSTILE = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<svg onload=alert(1)><script>alert(1)</script></svg>',
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<style>body{display:none}</style>',
    '<form action="https://evil.example/"><input name=a></form>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<div onmouseover="alert(1)">x</div>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<!--<img src=x onerror=alert(1)>-->',
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_html_loses_its_teeth(html):
    clean = sanitize_html(html).lower()
    for bad in ("<script", "onerror", "onload", "onmouseover", "javascript:", "vbscript:",
                "data:", "<iframe", "<object", "<embed", "<style", "style=", "<form",
                "<base", "<meta", "<svg"):
        assert bad not in clean, (html, clean)


def test_good_markup_is_kept():
    html = ('<h2>見出し</h2><p><strong>強調</strong>と<em>斜体</em></p>'
            '<ul><li>一</li></ul><ol start="3"><li>三</li></ol>'
            '<blockquote>引用</blockquote>'
            '<table><caption>表</caption><thead><tr><th scope="col">月</th></tr></thead>'
            '<tbody><tr><td colspan="2">燃えるごみ</td></tr></tbody></table>'
            '<p><a href="https://www.city.example.jp/" hreflang="ja">市</a> '
            '<a href="/guide/">案内</a> <a href="mailto:info@city.example.jp">メール</a></p>'
            '<p><img src="/guide/photo/@@display" alt="写真" width="100" height="50"></p>')
    clean = sanitize_html(html)
    for kept in ("<h2>", "<strong>", "<em>", "<ul>", '<ol start="3">', "<blockquote>",
                 "<caption>", '<th scope="col">', '<td colspan="2">',
                 'href="https://www.city.example.jp/"', 'href="/guide/"',
                 'href="mailto:info@city.example.jp"',
                 '<img src="/guide/photo/@@display" alt="写真" width="100" height="50">'):
        assert kept in clean
    assert 'rel="noopener noreferrer"' in clean


def test_empty_values():
    assert sanitize_html(None) == ""
    assert sanitize_html("") == ""
    assert sanitize_html("ただの文章") == "ただの文章"
