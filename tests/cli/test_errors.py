"""One base for the tool's user-facing errors (orderflow.errors.OrderflowError), caught once by
``orderflow``'s main: its lines on stderr after the command's name, exit 1, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
from collections.abc import Callable

import pytest

import orderflow
from orderflow import cli
from orderflow.console.query import ConsoleError
from orderflow.cost.prices import PriceError
from orderflow.errors import OrderflowError
from orderflow.parameters import ParameterError
from orderflow.polling import WaitTimeout
from orderflow.runtime.build import BuildError
from orderflow.runtime.config import ConfigError
from orderflow.runtime.faults import FaultRuleError
from orderflow.runtime.model import RuntimeStartError
from orderflow.runtime.persistence import StateDirInUse
from orderflow.runtime.sfn_local import MockConfigError
from orderflow.session import PortInUse

# Modules whose exceptions are moto's own answers or parts of its internals (runtime/moto: the
# patches raise moto's error types so that moto answers as AWS does), and exceptions that are
# answers of the embedded AWS, not the tool's errors.
MOTO_INTERNAL = "orderflow.runtime.moto."
NOT_THE_TOOLS = {
    # Lambda's TooManyRequestsException, answered by the embedded AWS (as AWS answers it)
    "orderflow.runtime.model.FunctionThrottled",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(orderflow.__path__, "orderflow."):
        name = module_info.name
        if name.startswith(MOTO_INTERNAL) or name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
                and not attr.startswith("_")
            ):
                found[f"{name}.{attr}"] = value
    return found


def test_every_error_class_of_orderflow_is_an_orderflow_error() -> None:
    classes = _exception_classes()
    # the walk found the errors it must (a broken walk would pass vacuously)
    assert {"orderflow.runtime.config.ConfigError", "orderflow.polling.WaitTimeout"} <= set(classes)
    assert set(classes) >= NOT_THE_TOOLS
    stray = sorted(
        name
        for name, cls in classes.items()
        if name not in NOT_THE_TOOLS and not issubclass(cls, OrderflowError)
    )
    assert stray == []


def test_the_moto_version_error_reaches_users_as_one() -> None:
    from orderflow.runtime.moto.registry import MotoVersionError

    assert issubclass(MotoVersionError, OrderflowError)


@pytest.mark.parametrize(
    ("builtin", "error"),
    [
        (ValueError, ConfigError(["x"])),
        (ValueError, ParameterError(["x"])),
        (ValueError, FaultRuleError(["x"])),
        (ValueError, MockConfigError("x")),
        (TimeoutError, WaitTimeout("x")),
        (RuntimeError, StateDirInUse("x")),
    ],
)
def test_the_built_in_bases_callers_catch_are_kept(builtin: type[Exception], error: Exception) -> None:
    assert isinstance(error, builtin) and isinstance(error, OrderflowError)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeStartError("template t.yaml not found"),
        PortInUse("API", 3000),
        StateDirInUse("state dir d is in use by another orderflow up"),
        MockConfigError("m.json: MockedResponses.R: bad"),
        BuildError("cannot build F"),
        WaitTimeout("timed out waiting for the welcome mail"),
        PriceError("no prices for region 'xx-nowhere-1'"),
        ConsoleError(400, "bad query"),
        OrderflowError("no orderflow runtime at http://127.0.0.1:1"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_main_prints_one_line_and_exits_non_zero(
    error: OrderflowError, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(cli.COMMANDS, "outbox", _raising(error))
    assert cli.main(["outbox"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"orderflow outbox: {error.lines[0]}\n"
    assert "Traceback" not in err and type(error).__name__ not in err


def test_main_prints_every_line_of_an_error_with_several(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # standalone lines each name the command; continuation lines (a file's mistakes) do not
    monkeypatch.setitem(cli.COMMANDS, "outbox", _raising(ConfigError(["a: bad", "b: bad"], standalone=True)))
    assert cli.main(["outbox"]) == 1
    assert capsys.readouterr().err == "orderflow outbox: a: bad\norderflow outbox: b: bad\n"
    monkeypatch.setitem(
        cli.COMMANDS, "outbox", _raising(FaultRuleError(["f.yaml: 2 mistakes", "  rule 1: x"]))
    )
    assert cli.main(["outbox"]) == 1
    assert capsys.readouterr().err == "orderflow outbox: f.yaml: 2 mistakes\n  rule 1: x\n"


def _raising(error: Exception) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        raise error

    return command
