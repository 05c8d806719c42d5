"""One module per ``sellerpulse`` sub-command; each exposes ``register(subparsers)``."""
