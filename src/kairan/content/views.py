"""Content views (filled in by the content feature work)."""
