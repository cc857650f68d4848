"""Extension points of the accounts feature."""

from zope.interface import Attribute, Interface


class IPersonalDataProvider(Interface):
    """One section of "download my data" (``/account/my-data.json``).

    Registered with ``config.add_personal_data_provider(provider)``; two
    providers with the same name fail at start-up. The core provides
    ``account``, ``roles``, ``sessions`` and ``audit``; an add-on adds its own
    (``points``, ``rides``...) so the download holds everything the platform
    keeps about the person.
    """

    name = Attribute("Unique key of this section in the JSON document, e.g. 'points'.")

    def export(request, user):
        """Return JSON-serialisable data (dicts, lists, str, int, bool, None) about ``user``.

        Times as ISO 8601 strings in UTC. Never include secrets: password
        hashes, token hashes, encryption keys, TOTP seeds.
        """
