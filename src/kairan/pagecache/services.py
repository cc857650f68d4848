"""Reading and bumping the content generation."""

from sqlalchemy import text

SELECT_GENERATION = text("SELECT value FROM content_generation WHERE id = 1")
BUMP_GENERATION = text("UPDATE content_generation SET value = value + 1 WHERE id = 1")
INSERT_GENERATION = text("INSERT INTO content_generation (id, value) VALUES (1, 1)")


def bump_generation(dbsession):
    """Invalidate every process's cached pages when this transaction commits.

    Anything that changes what anonymous visitors see without going through
    ``kairan.content.services`` (a script, a direct SQL fix) calls this, or
    runs ``kairan cache clear``.
    """
    if dbsession.execute(BUMP_GENERATION).rowcount == 0:
        # the row is made by the migration; a database emptied by hand gets it back
        dbsession.execute(INSERT_GENERATION)


def on_content_event(event):
    request = event.request
    if request is not None:
        bump_generation(request.dbsession)
