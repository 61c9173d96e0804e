"""pactline_scoring."""
