"""Turning text into search tokens, and results back into safe snippets.

Japanese has no spaces between words, so a word-based index finds nothing
in the middle of a sentence. Text is cut into runs: a CJK run (kanji, kana)
becomes its overlapping character bigrams ("防災訓練" -> 防災 災訓 訓練), any
other run of letters or digits becomes one lower-cased word. Queries are cut
the same way, so a two-character word anywhere in a sentence matches the
bigram at its position, and a longer word matches as a phrase of bigrams.
Everything is NFKC-normalised first (full-width Latin, half-width kana),
and katakana is folded to hiragana.
"""

import unicodedata
from html import escape
from html.parser import HTMLParser

# Indexed text is capped: a municipal page is far shorter, and the cap keeps
# a pasted document from producing a huge row (tsvector limit: 1 MB).
MAX_INDEXED_CHARS = 50_000
MAX_WORD_LENGTH = 100

_CJK_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xAC00, 0xD7AF),  # hangul syllables
    (0x20000, 0x2FFFF),  # CJK extensions B-F
)


# Katakana folded to hiragana: residents write ゴミ and ごみ for one word.
_KANA_FOLD = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def normalize(text):
    """NFKC, lower case, katakana as hiragana (one character stays one character)."""
    return unicodedata.normalize("NFKC", text or "").lower().translate(_KANA_FOLD)


def is_cjk(char):
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES) or char == "々"


def is_word_char(char):
    # Only letters and digits: these are also token characters for SQLite's
    # unicode61 tokenizer, so it never splits a token we made.
    return unicodedata.category(char)[0] in ("L", "N")


def runs(text):
    """[(is_cjk, run)] of ``text`` (already normalised), separators dropped."""
    found = []
    current = []
    current_cjk = None
    for char in text:
        if not is_word_char(char):
            if current:
                found.append((current_cjk, "".join(current)))
            current, current_cjk = [], None
            continue
        cjk = is_cjk(char)
        if current and cjk != current_cjk:
            found.append((current_cjk, "".join(current)))
            current = []
        current.append(char)
        current_cjk = cjk
    if current:
        found.append((current_cjk, "".join(current)))
    return found


def run_tokens(cjk, run):
    if cjk and len(run) > 1:
        return [run[i:i + 2] for i in range(len(run) - 1)]
    if len(run) > MAX_WORD_LENGTH:
        # nobody searches for it, and PostgreSQL refuses lexemes over 2 KB
        return []
    return [run]


def tokens(text):
    """The index tokens of ``text`` in order (bigrams for CJK runs, words otherwise)."""
    result = []
    for cjk, run in runs(normalize(text)[:MAX_INDEXED_CHARS]):
        result.extend(run_tokens(cjk, run))
    return result


def token_text(text):
    return " ".join(tokens(text))


class Term:
    """One whitespace-separated part of a query: a phrase of tokens."""

    def __init__(self, text):
        self.text = text
        parts = runs(text)
        self.tokens = []
        for cjk, run in parts:
            self.tokens.extend(run_tokens(cjk, run))
        # a lone CJK character is not a token of a longer run: match it as
        # the first half of a bigram instead (a prefix query)
        self.prefix = len(parts) == 1 and parts[0][0] and len(parts[0][1]) == 1

    def __repr__(self):
        return f"Term({self.text!r})"


def parse_query(query, max_terms=10):
    """The terms of a query; empty if it has no letters or digits."""
    terms = [Term(part) for part in normalize(query).split()[:max_terms]]
    return [t for t in terms if t.tokens]


def is_single_character(query):
    stripped = "".join(ch for ch in normalize(query) if is_word_char(ch))
    return len(stripped) == 1


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "template"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
             "section", "article", "blockquote", "pre", "dd", "dt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html):
    """The visible text of an HTML fragment, whitespace collapsed."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _match_spans(text, terms):
    """[(start, end)] of every occurrence of a term in ``text``, merged."""
    folded = normalize(text)
    if len(folded) != len(text):
        # NFKC changed the length (ligatures, some symbols): positions would
        # drift, so match on the lower-cased original, or the original itself.
        folded = text.lower()
        if len(folded) != len(text):
            folded = text
    spans = []
    for term in terms:
        needle = term.text
        if not needle:
            continue
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text, terms):
    """``text`` HTML-escaped, with every occurrence of a term in ``<mark>``."""
    out = []
    position = 0
    for start, end in _match_spans(text, terms):
        out.append(escape(text[position:start]))
        out.append("<mark>" + escape(text[start:end]) + "</mark>")
        position = end
    out.append(escape(text[position:]))
    return "".join(out)


def snippet(text, terms, width=120):
    """A highlighted excerpt of about ``width`` characters around the first match."""
    spans = _match_spans(text, terms)
    if not spans:
        excerpt = text[:width]
        return highlight(excerpt, terms) + ("…" if len(text) > width else "")
    first = spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    excerpt = text[start:end]
    return (("…" if start else "") + highlight(excerpt, terms)
            + ("…" if end < len(text) else ""))
