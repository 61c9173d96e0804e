"""Command groups of the pactline CLI, one module per area."""
