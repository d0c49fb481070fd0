"""Function logs rotate per run, and a start that loses the rotation to another start on the same
stack name carries on (the demo and in-process runs of one test session share `.orderflow/<stack>`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderflow.runtime.persistence import rotate_logs


def test_previous_run_logs_move_to_logs_previous(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "f.log").write_text("run 2")
    (tmp_path / "logs.previous").mkdir()
    (tmp_path / "logs.previous" / "f.log").write_text("run 1")
    rotate_logs(tmp_path)
    assert not (tmp_path / "logs").exists()
    assert (tmp_path / "logs.previous" / "f.log").read_text() == "run 2"


def test_a_rotation_lost_to_another_start_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "logs").mkdir()
    real_rename = Path.rename

    def other_start_first(self: Path, target: Path) -> Path:  # the other process moves it first
        real_rename(self, target)
        return real_rename(self, target)  # ours: FileNotFoundError

    monkeypatch.setattr(Path, "rename", other_start_first)
    rotate_logs(tmp_path)
    assert (tmp_path / "logs.previous").is_dir()
