def includeme(config):
    """i18n: Japanese by default, English available, catalogues per package.

    Feature packages and add-ons add their own catalogue directory with
    ``config.add_translation_dirs('pkg:locale')``; all of them are compiled
    and merged when the configuration is committed.
    """
    from pyramid.interfaces import ITranslationDirectories

    from kairan.i18n.catalogs import register_localizers
    from kairan.i18n.translation import locale_negotiator

    settings = config.get_settings()
    config.set_locale_negotiator(locale_negotiator)
    config.add_translation_dirs("colander:locale", "deform:locale", "kairan:locale")

    def compile_catalogues():
        directories = config.registry.queryUtility(ITranslationDirectories) or []
        register_localizers(config, directories, settings["kairan.locales"])

    # order=1000: after every add_translation_dirs action has run
    config.action("kairan.i18n.catalogues", compile_catalogues, order=1000)
