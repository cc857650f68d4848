"""Filling the add-on templates: ``create_addon(name, target)``.

Templates use ``{{key}}`` placeholders, which collide neither with
Chameleon's ``${...}`` nor with Python's braces; an unknown key is an error,
so a typo in a template cannot slip into a generated file.
"""

import keyword
import os
import re
from importlib.resources import files

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
RESERVED = frozenset({"kairan", "test", "tests"})

# template file -> path in the new project ({name} is the package)
FILES = (
    ("pyproject.toml.tmpl", "pyproject.toml"),
    ("README.md.tmpl", "README.md"),
    ("gitignore.tmpl", ".gitignore"),
    ("init.py.tmpl", "{name}/__init__.py"),
    ("interfaces.py.tmpl", "{name}/interfaces.py"),
    ("models.py.tmpl", "{name}/models.py"),
    ("schemas.py.tmpl", "{name}/schemas.py"),
    ("views.py.tmpl", "{name}/views.py"),
    ("tiles.py.tmpl", "{name}/tiles.py"),
    ("exporters.py.tmpl", "{name}/exporters.py"),
    ("item.pt.tmpl", "{name}/templates/item.pt"),
    ("tile.pt.tmpl", "{name}/templates/tile.pt"),
    ("kairan.po.tmpl", "{name}/locale/ja/LC_MESSAGES/kairan.po"),
    ("migration.py.tmpl", "{name}/migrations/versions/0001_{name}.py"),
    ("conftest.py.tmpl", "tests/conftest.py"),
    ("test_addon.py.tmpl", "tests/test_{name}.py"),
)


class ScaffoldError(ValueError):
    """The add-on cannot be written; the message says why."""


def validate_name(name):
    """Refuse anything that is not a short, lower-case, importable package name."""
    if not NAME_RE.match(name or "") or keyword.iskeyword(name) or not name.isidentifier():
        raise ScaffoldError(
            f"{name!r} is not a valid add-on name: use 2-30 lower-case letters, digits and '_', "
            "starting with a letter (e.g. kairan_library)"
        )
    if name in RESERVED or name.startswith("kairan_theme"):
        raise ScaffoldError(f"{name!r} is reserved; choose another name (e.g. kairan_library)")


def template_values(name):
    """The placeholders' values for the add-on ``name``."""
    short = name.removeprefix("kairan_") or name
    words = [w for w in short.split("_") if w]
    return {
        "name": name,
        "short": short,
        "title": " ".join(w.capitalize() for w in words),
        "Class": "".join(w.capitalize() for w in words) + "Item",
        "type_name": f"{short}_item",
        "table": f"{name}_items",
    }


def render(template, values):
    def substitute(match):
        key = match.group(1)
        if key not in values:
            raise ScaffoldError(f"template placeholder {{{{{key}}}}} has no value")
        return values[key]

    return PLACEHOLDER.sub(substitute, template)


def create_addon(name, target):
    """Write the add-on ``name`` into the new directory ``target``; return the paths written.

    Refuses an invalid name and an existing ``target``: nothing is ever
    overwritten.
    """
    validate_name(name)
    target = os.path.abspath(target)
    if os.path.exists(target):
        raise ScaffoldError(f"{target} already exists; choose another --dir or remove it")
    core = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.commonpath([core, target]) == core:
        raise ScaffoldError(f"{target} is inside Kairan's own package; write add-ons outside it")
    values = template_values(name)
    templates = files("kairan.scaffold") / "templates"
    written = []
    for template_name, relative in FILES:
        path = os.path.join(target, relative.format(name=name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        text = render((templates / template_name).read_text(encoding="utf-8"), values)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(path)
    return written
