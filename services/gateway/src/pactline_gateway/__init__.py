"""The gateway: an OpenAI-compatible endpoint that measures every call it forwards to an agent."""
