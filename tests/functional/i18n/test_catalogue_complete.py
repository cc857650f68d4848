"""Japanese is the default language: every message the platform shows has a Japanese text.

Message ids are collected from the Python sources (``_("...")``) and from
the templates (elements carrying ``i18n:translate``, with ``i18n:name``
children written as ``${name}`` and whitespace collapsed, as Chameleon does),
then looked up in the merged Japanese catalogue of the running application.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from pyramid.interfaces import ITranslationDirectories

from kairan.i18n.catalogs import build_translations

ROOT = Path(__file__).resolve().parents[3]

# The sources of the core, every theme, and the add-ons the application under test
# enables (an add-on's catalogue is only loaded when it is enabled).
def python_sources(addons):
    return [ROOT / "src" / "kairan", *(ROOT / "addons" / name for name in addons)]


def template_dirs(addons):
    return sorted((ROOT / "themes").glob("kairan_theme_*/templates")) + [
        ROOT / "addons" / name for name in addons]


# Ids that are the same in both languages on purpose.
SAME_IN_JAPANESE = {"English", "日本語", "Kairan", "Atom", "CSV", "XLSX", "ZIP", "ID", "URL"}


def python_message_ids(addons=()):
    ids = set()
    for source in python_sources(addons):
        if not source.is_dir():
            continue
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(source),
            method_map=[("**.py", "python")],
            keywords={"_": None},
        ):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                ids.add(message)
    return ids


class TemplateMessages(HTMLParser):
    """Collects the msgids of ``i18n:translate`` elements and attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.stack = []  # [tag, buffer or None, depth of i18n:name child]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in (attrs.get("i18n:attributes") or "").split(";"):
            name = name.strip().split(" ")[0]
            if name and attrs.get(name) and "${" not in attrs[name]:
                self.ids.add(" ".join(attrs[name].split()))
        translating = [s for s in self.stack if s[1] is not None]
        if translating and "i18n:name" in attrs:
            translating[-1][1].append("${" + attrs["i18n:name"] + "}")
            self.stack.append([tag, None, True])
            return
        if tag in ("br", "input", "img", "meta", "link"):
            return
        buffer = [] if "i18n:translate" in attrs and not attrs["i18n:translate"] else None
        self.stack.append([tag, buffer, bool(translating and translating[-1][2])])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "input", "img", "meta", "link"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, buffer, _inside_name = self.stack.pop()
            if buffer is not None:
                text = " ".join("".join(buffer).split())
                if text and not text.startswith("${") or (text and " " in text):
                    self.ids.add(text)
            if open_tag == tag:
                break

    def handle_data(self, data):
        for entry in reversed(self.stack):
            if entry[2] is True and entry[1] is None:
                return  # text inside an i18n:name element is not part of the msgid
            if entry[1] is not None:
                entry[1].append(data)
                return


def template_message_ids(addons=()):
    ids = set()
    for directory in template_dirs(addons):
        if not directory.is_dir():
            continue
        for path in directory.rglob("*.pt"):
            parser = TemplateMessages()
            parser.feed(path.read_text(encoding="utf-8"))
            ids |= parser.ids
    return {i for i in ids if re.search(r"[A-Za-z]", i)}


def japanese(registry):
    """The application's Japanese catalogue plus every theme's own (a theme is optional)."""
    directories = list(registry.queryUtility(ITranslationDirectories) or [])
    directories += [str(p) for p in sorted((ROOT / "themes").glob("kairan_theme_*/locale"))]
    return build_translations(directories, "ja")


def test_every_message_has_a_japanese_translation(registry):
    translations = japanese(registry)
    addons = [a for a in registry.settings["kairan.addons"] if (ROOT / "addons" / a).is_dir()]
    missing = []
    for message in sorted(python_message_ids(addons) | template_message_ids(addons)):
        if message in SAME_IN_JAPANESE:
            continue
        if translations.dugettext("kairan", message) == message:
            missing.append(message)
    assert not missing, f"{len(missing)} messages lack Japanese:\n" + "\n".join(missing)


def test_the_extractor_finds_known_messages():
    ids = python_message_ids() | template_message_ids()
    assert "Page not found" in ids  # from views/errors.py and errors/notfound.pt
    assert "Skip to main content" in ids  # from layout.pt
