"""pactline_jury."""
