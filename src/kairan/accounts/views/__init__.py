"""Account views, one module per flow."""
