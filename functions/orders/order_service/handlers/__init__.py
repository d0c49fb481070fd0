"""Lambda entry points; each module exposes ``handler(event, context)``."""
