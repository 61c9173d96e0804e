"""pactline_events."""
