"""Kairan's pytest plugin lets Pyramid resolve asset specs of rewritten modules."""


def test_asset_spec_of_a_subpackage_resolves_under_pytest():
    from pyramid.path import AssetResolver

    # kairan.accounts is imported through pytest's assertion-rewriting hook
    assert AssetResolver().resolve("kairan.accounts:locale").isdir()
