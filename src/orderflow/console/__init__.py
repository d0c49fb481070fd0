"""The web console of ``orderflow up`` (see server.py, its JSON API in api.py): executions as graphs with
their history and logs, starting executions, the stack's resources, tables, queues, outbox and alarms."""

from .api import ConsoleApi, ConsoleSources
from .server import Console

__all__ = ["Console", "ConsoleApi", "ConsoleSources"]
