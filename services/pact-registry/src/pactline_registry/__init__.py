"""pactline_registry."""
