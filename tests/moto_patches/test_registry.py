"""The patch registry: declared order whatever callers do, undo in reverse, version ranges, names; and every
gap or speed-up it declares has its pair of tests in tests/moto_patches (see support.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from orderflow.runtime import moto as moto_layer
from orderflow.runtime.moto import REGISTRY
from orderflow.runtime.moto.registry import MotoVersionError, Patch, Patcher, Registry
from tests.moto_patches.support import MOTO


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


# ------------------------------------------------------------------------------------- coverage


def patch_test_modules() -> list[Any]:
    """This module and its siblings tests/moto_patches/test_<module>.py (each patch's pair lives in the file
    of the module that defines the patch)."""
    package = __name__.rpartition(".")[0]
    this = Path(__file__).stem
    siblings = sorted(path.stem for path in Path(__file__).parent.glob("test_*.py") if path.stem != this)
    return [sys.modules[__name__]] + [importlib.import_module(f"{package}.{stem}") for stem in siblings]


def patch_test(name: str) -> Any:
    found = [
        getattr(module, name) for module in patch_test_modules() if callable(getattr(module, name, None))
    ]
    assert len(found) <= 1, f"{name} is defined in more than one module"
    return found[0] if found else None


def test_every_gap_and_speed_up_has_both_tests() -> None:
    covered = [patch for patch in REGISTRY if patch.kind in ("gap", "speed-up")]
    assert covered, "the registry declares gaps"
    missing = []
    for patch in covered:
        plain = patch_test(f"test_{patch.name}_gap_in_plain_moto")
        patched = patch_test(f"test_{patch.name}_patched")
        if not callable(plain) or not callable(patched):
            missing.append(patch.name)
            continue
        [mark] = [mark for mark in getattr(plain, "pytestmark", []) if mark.name == "xfail"]
        assert mark.kwargs["strict"] is True, patch.name
        assert mark.kwargs["raises"] is AssertionError, patch.name
        assert mark.kwargs["reason"].startswith(f"moto {MOTO} gap: "), patch.name
        assert mark.kwargs["reason"].endswith(f"drop patch {patch.name}"), patch.name
        assert not [m for m in getattr(patched, "pytestmark", []) if m.name == "xfail"], patch.name
    assert missing == [], f"patches without test_<name>_gap_in_plain_moto and test_<name>_patched: {missing}"
    # and no test here for a patch that is gone (or is not a gap/speed-up)
    names = {patch.name for patch in covered}
    orphans = [
        attr
        for module in patch_test_modules()
        for attr in dir(module)
        if attr.startswith("test_")
        and attr.endswith(("_gap_in_plain_moto", "_patched"))
        and attr.removeprefix("test_").removesuffix("_gap_in_plain_moto").removesuffix("_patched")
        not in names
    ]
    assert orphans == [], f"tests of patches the registry no longer has: {orphans}"


def test_no_two_patches_replace_one_attribute_unless_declared() -> None:
    """Each moto function has one owner; a shared one is declared (SHARED_ATTRIBUTES), in declared order."""

    class Recording(Patcher):
        def __init__(self) -> None:
            super().__init__()
            self.replaced: list[str] = []

        def replace(self, owner: Any, name: str, new: Any) -> None:
            where = owner.__qualname__ if isinstance(owner, type) else ""
            module = owner.__module__ if isinstance(owner, type) else owner.__name__
            short = ".".join(module.split(".")[-2:])  # as SHARED_ATTRIBUTES names it
            self.replaced.append(".".join(p for p in (short, where, name) if p))

    owners: dict[str, list[str]] = {}
    for patch in REGISTRY:
        recording = Recording()
        patch.apply(recording)  # records only: nothing of moto is replaced
        for attribute in dict.fromkeys(recording.replaced):
            owners.setdefault(attribute, []).append(patch.name)
    shared = {attribute: tuple(names) for attribute, names in owners.items() if len(names) > 1}
    assert shared == moto_layer.SHARED_ATTRIBUTES
