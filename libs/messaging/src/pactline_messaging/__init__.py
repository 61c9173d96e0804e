"""pactline_messaging."""
