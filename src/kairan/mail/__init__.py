def includeme(config):
    """Mail: ``kairan.mail.services.queue_mail`` writes to the outbox in the
    request's transaction; ``kairan mail send`` delivers it."""
