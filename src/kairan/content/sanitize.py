"""Body text is stored and shown as sanitized HTML, whatever an editor sends.

nh3 (Rust's ammonia) parses the fragment like a browser would and keeps only
an allow-list: no script or style, no event handlers, no ``style`` or
``class`` attributes (the theme styles content), and URLs only with the
schemes below, so ``javascript:`` and ``data:`` never survive in ``href`` or
``src``. It runs at every save; views show the stored value unescaped.
"""

import nh3

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "dl", "dt", "dd",
    "strong", "em", "b", "i", "u", "s", "small", "sub", "sup", "abbr", "code", "pre",
    "blockquote", "q", "cite", "a", "img", "figure", "figcaption", "span", "div",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
})

ALLOWED_ATTRIBUTES = {
    "*": {"lang", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# Removed together with their content rather than unwrapped to text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template",
                                  "noscript", "svg", "math", "textarea", "select"})


def sanitize_html(html) -> str:
    """Return ``html`` reduced to the allow-list; ``None`` or '' gives ''."""
    if not html:
        return ""
    return nh3.clean(
        str(html),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
