import os


def includeme(config):
    """Export: ``config.add_exporter(exporter)`` and the operators' page ``/manage/export``.

    - Directive ``config.add_exporter(exporter)`` registers an ``IExporter``;
      two exporters with one name fail at start-up.
    - The core registers its exporters ("content", "users", "audit") through
      the same directive.
    - ``/manage/export`` (Permission.EXPORT) lists the exporters the user may
      use; a POST to ``/manage/export/download`` (``name``, ``format``)
      downloads one as CSV or XLSX, or ``name=all`` as a ZIP. Every download
      is audited as ``export.download``.
    - ``kairan.export.services.write_export`` does the same for scripts.
    """
    from kairan.export.exporters import CORE_EXPORTERS
    from kairan.export.services import add_exporter

    config.add_directive("add_exporter", add_exporter)
    # an absolute path: pytest loads kairan modules through its assertion-rewriting
    # importer, whose loader pkg_resources (behind "pkg:locale" specs) cannot read
    config.add_translation_dirs(os.path.join(os.path.dirname(__file__), "locale"))
    root = "kairan.security.permissions.site_root_factory"
    config.add_route("export.list", "/manage/export", factory=root)
    config.add_route("export.download", "/manage/export/download", factory=root)
    for exporter in CORE_EXPORTERS:
        config.add_exporter(exporter)
    config.scan(".views")
