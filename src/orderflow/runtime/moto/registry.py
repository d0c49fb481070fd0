"""The registry of named patches to moto: what each closes, for which moto versions, in which order.

A :class:`Patch` is a record - its name, whether it closes a gap in moto or only speeds moto up, the
moto versions it was written for, the upstream issue where one exists - plus an ``apply`` function
that makes its changes through a :class:`Patcher`, which remembers every original so the patch can
be undone. :data:`REGISTRY` holds every patch in one declared order. Callers only say which patches
they want on (:func:`enable`, :func:`disable`, :func:`enabled`); the registry then applies the wanted
set in the declared order (undoing and re-applying later patches when an earlier one comes on), so
patches that wrap the same moto method always nest the same way, whatever the callers' order.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version as installed_version
from typing import Any, Literal

from orderflow.errors import OrderflowError

Kind = Literal["gap", "speed-up", "feature"]

# The moto versions every patch here was written and tested against (pyproject pins moto==5.2.5).
WRITTEN_FOR = (">=5.2.5", "<5.3")


class MotoVersionError(OrderflowError, RuntimeError):
    """The installed moto is outside a patch's range: one line that says what to install."""


class Patcher:
    """Replaces attributes of moto's modules and classes and remembers what was there."""

    _MISSING = object()

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []

    def replace(self, owner: Any, name: str, new: Any) -> None:
        """``setattr(owner, name, new)``, undone by :meth:`undo` (a missing attribute is deleted again)."""
        self._originals.append((owner, name, owner.__dict__.get(name, self._MISSING)))
        setattr(owner, name, new)

    def undo(self) -> None:
        while self._originals:
            owner, name, original = self._originals.pop()
            if original is self._MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


@dataclass(frozen=True)
class Patch:
    """One named change to moto."""

    name: str
    kind: Kind
    summary: str  # the gap (what plain moto does wrong) or what the speed-up removes
    apply: Callable[[Patcher], None] = field(repr=False, compare=False)
    moto_versions: tuple[str, ...] = WRITTEN_FOR
    upstream: str | None = None  # the upstream issue, where one exists
    needs_runtime: bool = False  # calls back into the running local runtime (see .hooks)
    requires: tuple[str, ...] = ()  # patches that must be on with this one (see moto.check_versions)

    def supports(self, moto_version: str) -> bool:
        return all(_satisfies(moto_version, spec) for spec in self.moto_versions)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit()) if not piece.isdigit() else piece
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return tuple(parts)


def _satisfies(moto_version: str, spec: str) -> bool:
    for op in (">=", "<=", "==", "<", ">"):
        if spec.startswith(op):
            have, want = _version_tuple(moto_version), _version_tuple(spec[len(op) :])
            return {
                ">=": have >= want,
                "<=": have <= want,
                "==": have == want,
                "<": have < want,
                ">": have > want,
            }[op]
    raise ValueError(f"unsupported version specifier {spec!r}")


class Registry:
    """Every patch, in the one order they are applied; which are on; applying and undoing them."""

    def __init__(self) -> None:
        self._patches: dict[str, Patch] = {}
        self._active: dict[str, Patcher] = {}
        self._lock = threading.RLock()

    def register(self, patch: Patch) -> Patch:
        if patch.name in self._patches:
            raise ValueError(f"patch {patch.name} registered twice")
        self._patches[patch.name] = patch
        return patch

    def declare_order(self, names: Iterable[str]) -> None:
        """The order patches are applied in: every registered patch, once."""
        names = list(names)
        if sorted(names) != sorted(self._patches):
            raise ValueError(f"the declared order {names} must name every patch once: {list(self._patches)}")
        with self._lock:
            if self._active:
                raise RuntimeError("the order of applied patches cannot change")
            self._patches = {name: self._patches[name] for name in names}

    def __iter__(self) -> Iterator[Patch]:
        return iter(list(self._patches.values()))

    def __getitem__(self, name: str) -> Patch:
        try:
            return self._patches[name]
        except KeyError:
            known = ", ".join(self._patches)
            raise KeyError(f"no moto patch named {name!r} (known: {known})") from None

    @property
    def names(self) -> list[str]:
        return list(self._patches)

    def active(self) -> list[str]:
        with self._lock:
            return [name for name in self._patches if name in self._active]

    def check_versions(self, names: Iterable[str], moto_version: str | None = None) -> None:
        """MotoVersionError when the installed moto is outside a named patch's range."""
        have = moto_version or installed_version("moto")
        for name in names:
            patch = self[name]
            if not patch.supports(have):
                wanted = ",".join(patch.moto_versions)
                raise MotoVersionError(
                    f"moto {have} is not supported: patch {patch.name} was written for moto {wanted} "
                    f"(install the version pyproject.toml pins)"
                )

    def enable(self, *names: str) -> None:
        with self._lock:
            self._set_active(set(self._active) | set(names))

    def disable(self, *names: str) -> None:
        with self._lock:
            self._set_active(set(self._active) - set(names))

    def disable_all(self) -> None:
        self.disable(*self._patches)

    @contextlib.contextmanager
    def enabled(self, *names: str) -> Iterator[None]:
        """Those patches on inside the block, and back to what was on before after it."""
        with self._lock:
            before = set(self._active)
            self.enable(*names)
        try:
            yield
        finally:
            with self._lock:
                self._set_active(before)

    def _set_active(self, wanted: set[str]) -> None:
        for name in wanted:
            self[name]  # unknown names raise before anything changes
        if wanted == set(self._active):
            return
        self.check_versions(sorted(wanted - set(self._active)))
        order = list(self._patches)
        # Undo from the first patch whose state changes onwards (latest first), then re-apply the wanted
        # ones from there in the declared order: wrappers of one method always nest the same way.
        first = min(order.index(name) for name in wanted ^ set(self._active))
        for name in reversed(order[first:]):
            patcher = self._active.pop(name, None)
            if patcher is not None:
                patcher.undo()
        for name in order[first:]:
            if name in wanted:
                patcher = Patcher()
                try:
                    self._patches[name].apply(patcher)
                except BaseException:
                    patcher.undo()
                    raise
                self._active[name] = patcher


REGISTRY = Registry()
