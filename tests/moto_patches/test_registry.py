"""The patch registry: declared order whatever callers do, undo in reverse, version ranges, names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from orderflow.runtime import moto as moto_layer
from orderflow.runtime.moto.registry import MotoVersionError, Patch, Patcher, Registry


def wrapping(target: SimpleNamespace, tag: str) -> Patch:
    """A patch that wraps target.call so that its result shows the nesting."""

    def apply(patcher: Patcher) -> None:
        original = target.call
        patcher.replace(target, "call", lambda: f"{tag}({original()})")

    return Patch(tag, "gap", f"wraps call with {tag}", apply)


@pytest.fixture
def target() -> SimpleNamespace:
    return SimpleNamespace(call=lambda: "moto")


@pytest.fixture
def registry(target: SimpleNamespace) -> Registry:
    registry = Registry()
    for tag in ("inner", "middle", "outer"):
        registry.register(wrapping(target, tag))
    return registry


def test_patches_nest_in_the_declared_order_whatever_order_they_are_switched_on(
    registry: Registry, target: SimpleNamespace
) -> None:
    registry.enable("outer")
    registry.enable("inner")  # switched on later, still applied first (innermost)
    assert target.call() == "outer(inner(moto))"
    registry.enable("middle")
    assert target.call() == "outer(middle(inner(moto)))"
    assert registry.active() == ["inner", "middle", "outer"]


def test_disabling_one_keeps_the_others_and_disabling_all_restores_moto(
    registry: Registry, target: SimpleNamespace
) -> None:
    original = target.call
    registry.enable("inner", "middle", "outer")
    registry.disable("middle")
    assert target.call() == "outer(inner(moto))"
    registry.disable_all()
    assert target.call is original
    assert registry.active() == []


def test_enabled_block_restores_what_was_on_before(registry: Registry, target: SimpleNamespace) -> None:
    registry.enable("outer")
    with registry.enabled("inner"):
        assert target.call() == "outer(inner(moto))"
    assert target.call() == "outer(moto)"


def test_a_missing_attribute_is_removed_again_on_undo() -> None:
    owner = SimpleNamespace()
    patcher = Patcher()
    patcher.replace(owner, "added", 1)
    assert owner.added == 1
    patcher.undo()
    assert not hasattr(owner, "added")


def test_unknown_names_change_nothing(registry: Registry, target: SimpleNamespace) -> None:
    with pytest.raises(KeyError, match="no moto patch named 'nope'"):
        registry.enable("inner", "nope")
    assert registry.active() == []
    assert target.call() == "moto"


def test_a_moto_outside_a_patch_range_is_refused_before_anything_is_applied(
    registry: Registry, target: SimpleNamespace
) -> None:
    with pytest.raises(
        MotoVersionError, match=r"^moto 5\.3\.0 is not supported: patch inner was written for"
    ):
        registry.check_versions(["inner"], moto_version="5.3.0")
    with pytest.raises(MotoVersionError):
        registry.check_versions(["inner"], moto_version="5.2.4")
    registry.check_versions(["inner"], moto_version="5.2.5")
    registry.check_versions(["inner"], moto_version="5.2.9.dev1")


def test_the_declared_order_must_name_every_patch_once(registry: Registry) -> None:
    with pytest.raises(ValueError, match="must name every patch once"):
        registry.declare_order(["outer", "inner"])
    registry.declare_order(["outer", "middle", "inner"])
    assert registry.names == ["outer", "middle", "inner"]


def test_the_real_registry_lists_every_patch_with_a_summary_and_starts_none() -> None:
    names = moto_layer.REGISTRY.names
    assert len(names) == len(set(names)) >= 17
    assert all(moto_layer.REGISTRY[name].summary for name in names)
    assert set(moto_layer.RUNTIME_PATCHES) == set(names) - {"sfn_mock_config", "sfn_time_scale"}
    assert moto_layer.REGISTRY.active() == []  # nothing is patched until a runtime or sfn_local asks
