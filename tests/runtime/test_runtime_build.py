"""The build cache on its own: one build per content hash under concurrency."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pytest

from orderflow.runtime import build


def test_concurrent_builders_build_an_entry_once(tmp_path: Path) -> None:
    calls: list[int] = []
    barrier = threading.Barrier(4)
    results: list[Path] = []

    def make(tmp: Path) -> None:
        calls.append(1)
        (tmp / "built").write_text("x")

    def builder() -> None:
        barrier.wait()
        results.append(build._ensure(tmp_path, "deps", "k", make))

    threads = [threading.Thread(target=builder) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert calls == [1]
    assert set(results) == {tmp_path / "deps" / "k"}
    assert (tmp_path / "deps" / "k" / "built").read_text() == "x"
    assert [p.name for p in (tmp_path / "deps").iterdir()] == ["k"], "no temporary folder left"


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def fail(tmp: Path) -> None:
        (tmp / "half").write_text("x")
        raise build.BuildError("pip said no")

    with pytest.raises(build.BuildError):
        build._ensure(tmp_path, "deps", "k", fail)
    assert list((tmp_path / "deps").iterdir()) == []


def test_code_is_extracted_once_per_content(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "X = 1\n")
    first = build.extract_zip(buf.getvalue(), tmp_path, "fn")
    (first / "marker").write_text("kept")
    again = build.extract_zip(buf.getvalue(), tmp_path, "fn")
    assert again == first and (again / "marker").read_text() == "kept"
    assert (first / "app.py").read_text() == "X = 1\n"


def test_a_build_is_zipped_once(tmp_path: Path) -> None:
    """The zip of a built package (named by its content hash) is made at the first start only."""
    from orderflow.runtime.deploy import zip_dir

    built = tmp_path / "built" / "Fn-0123abcd"
    (built / "pkg").mkdir(parents=True)
    (built / "pkg" / "mod.py").write_text("X = 1\n")
    made: list[tuple[Path, str]] = []

    def make(folder: Path, prefix: str) -> bytes:
        made.append((folder, prefix))
        return zip_dir(folder, prefix)

    first = build.cached_zip(tmp_path, built, "", make)
    assert build.cached_zip(tmp_path, built, "", make) == first
    assert made == [(built, "")]
    layer = build.cached_zip(tmp_path, built, "python/", make)  # a layer's layout is another zip
    assert made == [(built, ""), (built, "python/")]
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        assert zf.namelist() == ["python/pkg/mod.py"]
    kept = sorted(p.name for p in (tmp_path / "zips").iterdir())
    assert kept == ["Fn-0123abcd-python.zip", "Fn-0123abcd.zip"]
