"""The demo's extension point: an add-on's own sample data."""

from zope.interface import Attribute, Interface


class IDemoLoader(Interface):
    """Sample data an add-on adds to the demo city, registered with
    ``config.add_demo_loader(loader)``; ``kairan demo`` runs every enabled
    add-on's loader after the core's users and pages exist.
    """

    name = Attribute("Unique name: lower-case letters, digits, '_.-' (e.g. 'merchants').")
    title = Attribute("What it loads, for the command's output (plain text).")
    order = Attribute("Loaders run by this integer, then by name (smaller first).")

    def load(dbsession, registry, today):
        """Create what is missing, change nothing that exists (running twice adds nothing).

        ``today`` is the date in Japan. The demo users exist already
        (``kairan.demo.services.DEMO_USERS``, looked up by e-mail). Returns a
        list of lines to print: e.g. extra accounts and their passwords. The
        caller commits.
        """
