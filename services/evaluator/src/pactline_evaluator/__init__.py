"""pactline_evaluator."""
