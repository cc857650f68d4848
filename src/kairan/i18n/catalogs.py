"""Gettext catalogues compiled in memory at start-up.

Each package keeps ``locale/<lang>/LC_MESSAGES/<domain>.po``; at start-up
they are compiled with Babel and merged into one localizer per language, so
no compiled ``.mo`` file is generated or committed. deform's and colander's
own compiled catalogues are merged in too.
"""

import io
import os

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pyramid.i18n import Localizer, Translations
from pyramid.interfaces import ILocalizer
from pyramid.path import AssetResolver


def _from_catalog(catalog, domain):
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


def _compiled(po_path, locale):
    with open(po_path, "rb") as f:
        catalog = read_po(f, locale=locale)
    return _from_catalog(catalog, os.path.splitext(os.path.basename(po_path))[0])


def build_translations(directories, locale):
    """One ``Translations`` for ``locale`` from the .po files (and .mo files) in ``directories``."""
    merged = _from_catalog(Catalog(locale=locale), "kairan")
    for directory in directories:
        messages = os.path.join(directory, locale, "LC_MESSAGES")
        if not os.path.isdir(messages):
            continue
        for filename in sorted(os.listdir(messages)):
            path = os.path.join(messages, filename)
            if filename.endswith(".po"):
                translations = _compiled(path, locale)
            elif filename.endswith(".mo") and not os.path.exists(path[:-3] + ".po"):
                with open(path, "rb") as f:
                    translations = Translations(f, domain=filename[:-3])
            else:
                continue
            merged.add(translations, merge=True)
    return merged


def register_localizers(config, specs, locales):
    resolver = AssetResolver()
    directories = [resolver.resolve(spec).abspath() for spec in specs]
    for locale in locales:
        localizer = Localizer(locale, build_translations(directories, locale))
        config.registry.registerUtility(localizer, ILocalizer, name=locale)
