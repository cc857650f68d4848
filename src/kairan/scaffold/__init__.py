"""``kairan addon new``: the templates of a new add-on package and the code that fills them.

The templates are data files (``templates/*.tmpl``), not modules, so that
neither ruff nor pytest reads them as part of the core.
"""
