"""The web console of ``orderflow up`` (see server.py): executions as graphs with their history and
logs, starting executions, the stack's resources, tables, queues, outbox and alarms."""

from .server import Console, ConsoleApi, ConsoleSources

__all__ = ["Console", "ConsoleApi", "ConsoleSources"]
