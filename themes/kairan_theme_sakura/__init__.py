"""桜ヶ丘市 (Sakuragaoka City): a second theme that overrides assets, never code.

Selected with ``kairan.theme = kairan_theme_sakura``; the default theme is
still included first, so every template not named here comes from it.
"""

# The only three assets a city usually changes: colours, logo, footer.
OVERRIDES = {
    "kairan_theme_default:static/brand.css": "kairan_theme_sakura:static/brand.css",
    "kairan_theme_default:static/logo.svg": "kairan_theme_sakura:static/logo.svg",
    "kairan_theme_default:templates/footer.pt": "kairan_theme_sakura:templates/footer.pt",
}


def includeme(config):
    """Override brand.css, logo.svg and footer.pt of the default theme; add our catalogue."""
    for to_override, override_with in OVERRIDES.items():
        config.override_asset(to_override=to_override, override_with=override_with)
    config.add_translation_dirs("kairan_theme_sakura:locale")
