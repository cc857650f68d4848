"""Generated node names."""

from kairan.content.queries import ancestor_paths
from kairan.content.slugs import NAME_RE, slug_candidate


def test_slug_from_titles():
    assert slug_candidate("Summer Festival 2025!") == "summer-festival-2025"
    assert slug_candidate("Café  au lait") == "cafe-au-lait"
    assert slug_candidate("夏祭り") == ""
    assert slug_candidate("") == ""
    assert len(slug_candidate("a" * 300)) == 60
    assert NAME_RE.match(slug_candidate("Garbage Days"))


def test_name_pattern():
    assert NAME_RE.match("news-2025_08")
    for bad in ("", "-x", "Upper", "a/b", "@@edit", "a b", "x" * 101, "日本"):
        assert not NAME_RE.match(bad)


def test_ancestor_paths():
    assert ancestor_paths("/") == []
    assert ancestor_paths("/a/") == ["/"]
    assert ancestor_paths("/a/b/c/") == ["/", "/a/", "/a/b/"]
