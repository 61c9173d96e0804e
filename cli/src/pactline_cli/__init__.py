"""pactline_cli."""
