"""The ``kairan`` command (see ``kairan.cli.main``)."""
