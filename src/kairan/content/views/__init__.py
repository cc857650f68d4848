"""Content views: the pages of the tree (display), the editor's actions (editing),
history and restore (history), sharing and the trash (manage)."""
