"""The second theme overrides brand.css, logo.svg and footer.pt, and nothing else.

Both applications live in one process, as two cities' portals could: the
overrides belong to the registry that includes the theme, not to the process.
"""

from datetime import UTC, datetime
from pathlib import Path

import kairan_theme_sakura
import pytest

from kairan.content.models import Folder

THEME_DIR = Path(kairan_theme_sakura.__file__).parent


@pytest.fixture
def front_page(dbsession):
    """A published site root, so that ``/`` is a real front page."""
    now = datetime.now(UTC)
    dbsession.add(Folder(name="", path="/", title="桜ヶ丘市", state="published", position=0,
                         created=now, modified=now, published_at=now))
    dbsession.commit()


def page_texts(app):
    """The front page and the 404 page."""
    yield app.get("/", status=200).text
    yield app.get("/no-such-page-here", status=404).text


@pytest.mark.usefixtures("front_page")
def test_sakura_footer_shown_when_selected(sakura_testapp):
    for text in page_texts(sakura_testapp):
        assert "桜ヶ丘市役所" in text
        assert "〒399-0000 桜ヶ丘市桜町一丁目1番1号" in text
        assert 'href="tel:+81000000000"' in text


@pytest.mark.usefixtures("front_page")
def test_default_footer_without_the_setting(testapp):
    for text in page_texts(testapp):
        assert "桜ヶ丘市役所" not in text
        assert "site-footer" in text


def test_brand_css_overridden_when_selected(sakura_testapp):
    css = sakura_testapp.get("/static/brand.css").text
    assert css == (THEME_DIR / "static" / "brand.css").read_text(encoding="utf-8")
    assert "--brand: #b0285c" in css


def test_logo_overridden_when_selected(sakura_testapp, testapp):
    sakura = sakura_testapp.get("/static/logo.svg").body
    default = testapp.get("/static/logo.svg").body
    assert sakura == (THEME_DIR / "static" / "logo.svg").read_bytes()
    assert sakura != default


def test_default_brand_css_without_the_setting(testapp):
    css = testapp.get("/static/brand.css").text
    assert "桜ヶ丘市" not in css
    assert "--brand: #0b5394" in css


def test_other_static_files_still_come_from_the_default_theme(sakura_testapp, testapp):
    assert sakura_testapp.get("/static/style.css").body == testapp.get("/static/style.css").body


def test_pages_link_the_overridden_stylesheet_by_the_same_url(sakura_testapp):
    text = sakura_testapp.get("/no-such-page-here", status=404).text
    assert "/static/brand.css" in text


def test_theme_copies_no_templates_but_the_footer():
    templates = sorted(p.name for p in (THEME_DIR / "templates").rglob("*.pt"))
    assert templates == ["footer.pt"]
    assert not (THEME_DIR / "templates" / "layout.pt").exists()
    assert [p.name for p in THEME_DIR.rglob("*.py")] == ["__init__.py"]


def test_includeme_registers_exactly_the_three_overrides():
    calls = []

    class RecordingConfig:
        def override_asset(self, to_override, override_with):
            calls.append((to_override, override_with))

        def add_translation_dirs(self, *specs):
            calls.append(("translation_dirs", specs))

    kairan_theme_sakura.includeme(RecordingConfig())
    assert sorted(calls[:3]) == sorted([
        ("kairan_theme_default:static/brand.css", "kairan_theme_sakura:static/brand.css"),
        ("kairan_theme_default:static/logo.svg", "kairan_theme_sakura:static/logo.svg"),
        ("kairan_theme_default:templates/footer.pt", "kairan_theme_sakura:templates/footer.pt"),
    ])
    assert calls[3] == ("translation_dirs", ("kairan_theme_sakura:locale",))
    for _target, source in calls[:3]:
        assert (THEME_DIR / source.split(":", 1)[1]).is_file()
