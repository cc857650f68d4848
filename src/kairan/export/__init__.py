def includeme(config):
    """Export: ``config.add_exporter(exporter)``; two exporters with one name fail at start-up."""
    from kairan.export.services import add_exporter

    config.add_directive("add_exporter", add_exporter)
