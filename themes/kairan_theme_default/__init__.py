def includeme(config):
    """The default theme: templates and static assets only; the core names them by asset spec."""
    config.add_translation_dirs("kairan_theme_default:locale")
