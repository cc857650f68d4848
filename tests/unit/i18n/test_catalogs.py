from pyramid import testing

from kairan.i18n.catalogs import build_translations
from kairan.i18n.translation import LOCALE_COOKIE, locale_negotiator


def write_po(directory, locale, msgid, msgstr):
    messages = directory / locale / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "kairan.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{msgid}"\nmsgstr "{msgstr}"\n',
        encoding="utf-8",
    )


def test_po_files_from_several_directories_are_merged(tmp_path):
    write_po(tmp_path / "one", "ja", "Search", "検索")
    write_po(tmp_path / "two", "ja", "Sign in", "ログイン")
    translations = build_translations([str(tmp_path / "one"), str(tmp_path / "two")], "ja")
    assert translations.dugettext("kairan", "Search") == "検索"
    assert translations.dugettext("kairan", "Sign in") == "ログイン"


def test_a_locale_without_catalogue_falls_back_to_the_message_id(tmp_path):
    translations = build_translations([str(tmp_path)], "en")
    assert translations.dugettext("kairan", "Search") == "Search"


def make_request(**kw):
    request = testing.DummyRequest(**kw)
    request.registry.settings = {"kairan.locales": ["ja", "en"], "kairan.default_locale": "ja"}
    return request


def test_japanese_is_the_default_locale():
    assert locale_negotiator(make_request()) == "ja"


def test_the_language_cookie_chooses_english():
    assert locale_negotiator(make_request(cookies={LOCALE_COOKIE: "en"})) == "en"


def test_an_unknown_locale_is_ignored():
    assert locale_negotiator(make_request(cookies={LOCALE_COOKIE: "xx"})) == "ja"
    assert locale_negotiator(make_request(params={"_LOCALE_": "fr"})) == "ja"


def test_the_query_string_can_choose_the_language_but_a_post_body_cannot():
    request = make_request(post={"_LOCALE_": "en"})
    assert locale_negotiator(request) == "ja"
    assert locale_negotiator(make_request(params={"_LOCALE_": "en"})) == "en"
