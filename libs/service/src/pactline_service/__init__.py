"""pactline_service."""
