"""The external regional currency bridge (being built)."""


def includeme(config):
    pass
