"""The add-on generator: names, placeholders, refusals."""

import pytest

from kairan.scaffold import generator
from kairan.scaffold.generator import ScaffoldError, create_addon, render, template_values


@pytest.mark.parametrize("name", ["kairan_library", "city_parks", "ab", "kairan_x2"])
def test_valid_names(name):
    generator.validate_name(name)


@pytest.mark.parametrize("name", ["", "a", "1library", "Kairan_Library", "kairan-library",
                                  "library.books", "class", "kairan", "tests",
                                  "kairan_theme_blue", "x" * 31, "ライブラリ"])
def test_invalid_names_are_refused(name):
    with pytest.raises(ScaffoldError):
        generator.validate_name(name)


def test_values_derive_from_the_name():
    values = template_values("kairan_community_garden")
    assert values == {
        "name": "kairan_community_garden",
        "short": "community_garden",
        "title": "Community Garden",
        "Class": "CommunityGardenItem",
        "type_name": "community_garden_item",
        "table": "kairan_community_garden_items",
    }


def test_render_leaves_chameleon_expressions_alone():
    assert render("${count} {{name}} {x}", {"name": "lib"}) == "${count} lib {x}"


def test_render_refuses_an_unknown_placeholder():
    with pytest.raises(ScaffoldError, match="nmae"):
        render("{{nmae}}", {"name": "lib"})


def test_every_template_renders_without_leftover_placeholders(tmp_path):
    written = create_addon("kairan_library", tmp_path / "lib")
    assert len(written) == len(generator.FILES)
    for path in written:
        text = open(path, encoding="utf-8").read()
        assert "{{" not in text, path


def test_an_existing_directory_is_never_overwritten(tmp_path):
    (tmp_path / "lib").mkdir()
    with pytest.raises(ScaffoldError, match="already exists"):
        create_addon("kairan_library", tmp_path / "lib")
    assert list((tmp_path / "lib").iterdir()) == []


def test_the_core_tree_is_refused():
    import os

    import kairan

    inside = os.path.join(os.path.dirname(kairan.__file__), "kairan_library")
    with pytest.raises(ScaffoldError, match="outside"):
        create_addon("kairan_library", inside)
    assert not os.path.exists(inside)
