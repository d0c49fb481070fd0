"""Lambda entry points: decorated, thin, delegating to ``user_service.logic``."""
