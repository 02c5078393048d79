"""The committed site (leaderboards/) is what `harness leaderboard --data-dir ../shared/data` writes
from the committed submissions today, byte for byte: a change to the pages' code must come with
the rebuilt site, and the README's command leaves the clone's tracked files unchanged."""
from __future__ import annotations

from pathlib import Path

from harness.report.leaderboard import build_leaderboard

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_site_is_a_rebuild_of_the_committed_submissions(real_data_dir, tmp_path):
    site = build_leaderboard(ROOT / "submissions", tmp_path / "site", data_dir=real_data_dir, cache=False)
    built = {p.relative_to(site.out_dir).as_posix(): p.read_bytes() for p in site.pages + site.downloads}
    committed = {
        p.relative_to(ROOT / "leaderboards").as_posix(): p.read_bytes()
        for p in (ROOT / "leaderboards").rglob("*") if p.is_file() and ".cache" not in p.parts
    }
    assert sorted(built) == sorted(committed)
    changed = [name for name in built if built[name] != committed[name]]
    assert changed == [], f"rebuild leaderboards/ (harness leaderboard --data-dir ../shared/data): {changed}"
