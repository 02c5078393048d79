"""read_confined: a file is read only where it resolves inside its folder, whichever path leads to it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.confined import confined_path, read_confined
from harness.errors import HarnessError


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A submission folder (with a nested file) and a folder outside it."""
    root = tmp_path / "submission"
    (root / "pairs" / "a").mkdir(parents=True)
    (root / "pairs" / "a" / "per-query.tsv").write_text("inside\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "per-query.tsv").write_text("secret\n")
    return root, outside


def test_plain_nested_files_resolve_inside(tree) -> None:
    root, _ = tree
    path = root / "pairs" / "a" / "per-query.tsv"
    assert read_confined(path, root, 100) == b"inside\n"
    assert confined_path(path, root) == Path(os.path.realpath(path))


def test_a_linked_folder_on_the_way_is_followed_and_judged_by_its_target(tree) -> None:
    root, outside = tree
    (root / "pairs" / "out").symlink_to(outside)
    with pytest.raises(HarnessError, match="resolves outside"):
        read_confined(root / "pairs" / "out" / "per-query.tsv", root, 100)
    (root / "pairs" / "b").symlink_to(root / "pairs" / "a")  # a link that stays inside is fine
    assert read_confined(root / "pairs" / "b" / "per-query.tsv", root, 100) == b"inside\n"


def test_dot_dot_and_a_linked_root(tree, tmp_path: Path) -> None:
    root, _ = tree
    with pytest.raises(HarnessError, match="resolves outside"):
        read_confined(root / "pairs" / ".." / ".." / "outside" / "per-query.tsv", root, 100)
    linked = tmp_path / "linked-submission"
    linked.symlink_to(root)
    assert read_confined(linked / "pairs" / "a" / "per-query.tsv", linked, 100) == b"inside\n"
    with pytest.raises(HarnessError, match="resolves outside"):  # a file of another folder than the root given
        read_confined(tmp_path / "outside" / "per-query.tsv", linked, 100)


def test_a_root_replaced_by_another_folder_is_resolved_again(tree, tmp_path: Path) -> None:
    root, outside = tree
    path = root / "pairs" / "a" / "per-query.tsv"
    assert read_confined(path, root, 100) == b"inside\n"
    root.rename(tmp_path / "old")
    root.symlink_to(outside)  # the same name now leads elsewhere
    with pytest.raises(FileNotFoundError):
        read_confined(path, root, 100)
    assert read_confined(root / "per-query.tsv", root, 100) == b"secret\n"
    assert confined_path(root / "per-query.tsv", root) == outside.resolve() / "per-query.tsv"


def test_missing_files_are_absent_not_malformed(tree) -> None:
    root, _ = tree
    with pytest.raises(FileNotFoundError):
        read_confined(root / "pairs" / "a" / "none.tsv", root, 100)
    (root / "dangling").symlink_to(root / "nowhere")
    with pytest.raises(FileNotFoundError):
        read_confined(root / "dangling", root, 100)


def test_a_file_is_read_up_to_its_bound_and_refused_beyond(tree) -> None:
    root, _ = tree
    path = root / "pairs" / "a" / "sized.tsv"
    path.write_bytes(b"x" * 100)
    assert read_confined(path, root, 100) == b"x" * 100
    assert read_confined(path, root, 1000) == b"x" * 100
    with pytest.raises(HarnessError, match="larger than"):
        read_confined(path, root, 99)
    path.write_bytes(b"")
    assert read_confined(path, root, 10) == b""


def test_a_file_grown_since_its_size_was_read_is_read_to_the_bound(tree, monkeypatch) -> None:
    root, _ = tree
    path = root / "pairs" / "a" / "growing.tsv"
    path.write_bytes(b"y" * 500)
    real_fstat = os.fstat

    class Smaller:  # the size as it was before the file grew to 500 bytes
        def __init__(self, status):
            self.st_mode, self.st_size = status.st_mode, 10

    monkeypatch.setattr(os, "fstat", lambda fd: Smaller(real_fstat(fd)))
    assert read_confined(path, root, 1000) == b"y" * 500
    with pytest.raises(HarnessError, match="larger than"):
        read_confined(path, root, 499)
