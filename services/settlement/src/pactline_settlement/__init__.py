"""pactline_settlement."""
