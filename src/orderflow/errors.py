"""The one base of orderflow's user-facing errors: :class:`OrderflowError`.

Every error the tool means a user to read (a bad flag value, a template it cannot run, a port in use,
no runtime at the endpoint, a mock config with a mistake) is an OrderflowError, or a subclass that
keeps a built-in base its callers catch (``class ConfigError(OrderflowError, ValueError)``). Its
:attr:`~OrderflowError.lines` are what ``orderflow`` prints on stderr, each after the command's name
when :attr:`~OrderflowError.standalone`; :func:`orderflow.cli.main` catches it once and exits 1.
Nothing else of the tool reaches a user as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class OrderflowError(Exception):
    """A problem to report to the user, one line per mistake (:attr:`lines`; default: the message's
    lines). ``standalone``: each line is a message of its own (the CLI names the command on each);
    otherwise the lines after the first continue the first (e.g. they name a file's mistakes)."""

    standalone: bool = False

    @property
    def lines(self) -> list[str]:
        given: list[str] | None = self.__dict__.get("_lines")
        if given:
            return given
        return str(self).splitlines() or [type(self).__name__]

    @lines.setter
    def lines(self, value: Iterable[str]) -> None:
        self._lines = list(value)


def error_text(prefix: str, error: OrderflowError) -> str:
    """``error``'s lines as the CLI prints them: the first after ``prefix``; the others too when the
    error is standalone, else as they are."""
    lines = error.lines
    if error.standalone:
        return "\n".join(f"{prefix}{line}" for line in lines)
    return "\n".join([f"{prefix}{lines[0]}", *lines[1:]])
