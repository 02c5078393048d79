"""Finding a Java 21+ for pyserini: version parsing, the search order, the one-line failure."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.models.java import HEAP_ENV, find_java, heap_size, parse_java_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('openjdk version "17.0.15" 2025-04-15', ("17.0.15", 17)),
        ('java version "1.8.0_292"', ("1.8.0_292", 8)),
        ('openjdk version "21" 2023-09-19', ("21", 21)),
        ('openjdk version "25-ea" 2025-09-16', ("25-ea", 25)),
        ("no version here", None),
    ],
)
def test_java_version_output_is_parsed(text, expected):
    assert parse_java_version(text) == expected


def fake_jdk(parent: Path, name: str, version: str) -> Path:
    """A folder with a ``bin/java`` that answers ``-version`` like a JDK of ``version``."""
    java = parent / name / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-01' >&2\n")
    java.chmod(0o755)
    return parent / name


def test_no_java_anywhere_is_one_clear_line(tmp_path):
    with pytest.raises(HarnessError) as raised:
        find_java(java_home="", search_dirs=[tmp_path], path="")
    message = str(raised.value)
    assert "\n" not in message
    assert "needs Java 21 or newer; found no Java at all" in message
    assert str(tmp_path) in message and "set JAVA_HOME" in message


def test_only_old_javas_are_named_in_the_error(tmp_path):
    old = fake_jdk(tmp_path, "jdk-17", "17.0.2")
    with pytest.raises(HarnessError, match=rf"found {old} \(Java 17.0.2\)"):
        find_java(java_home=str(old), search_dirs=[tmp_path], path="")


def test_a_recent_java_home_wins(tmp_path):
    home = fake_jdk(tmp_path / "home", "jdk", "21.0.1")
    fake_jdk(tmp_path / "jvm", "jdk-23", "23.0.1")
    found = find_java(java_home=str(home), search_dirs=[tmp_path / "jvm"], path="")
    assert (found.home, found.major) == (home, 21)


def test_an_old_java_home_falls_back_to_the_newest_found(tmp_path):
    old = fake_jdk(tmp_path, "jdk-17", "17.0.2")
    fake_jdk(tmp_path / "jvm", "jdk-21", "21.0.4")
    newest = fake_jdk(tmp_path / "jvm", "jdk-22", "22.0.1")
    fake_jdk(tmp_path / "opt" / "vendor", "openjdk", "21.0.9")  # a grandchild is found too
    found = find_java(java_home=str(old), search_dirs=[tmp_path / "jvm", tmp_path / "opt"], path="")
    assert (found.home, found.version) == (newest, "22.0.1")


def test_java_on_path_is_found(tmp_path):
    home = fake_jdk(tmp_path, "jdk", "21.0.2")
    found = find_java(java_home="", search_dirs=[], path=str(home / "bin"))
    assert found.home == home and str(found) == f"{home} (Java 21.0.2)"


def test_heap_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(HEAP_ENV, raising=False)
    assert heap_size() == "2g"
    monkeypatch.setenv(HEAP_ENV, "512m")
    assert heap_size() == "512m"
    monkeypatch.setenv(HEAP_ENV, "lots")
    with pytest.raises(HarnessError, match="HARNESS_JAVA_HEAP='lots'"):
        heap_size()


@pytest.mark.skipif(not os.path.isdir("/usr/lib/jvm"), reason="no /usr/lib/jvm on this machine")
def test_the_real_search_returns_a_java_21_or_says_why():
    try:
        found = find_java()
    except HarnessError as error:
        assert "needs Java 21 or newer" in str(error)
    else:
        assert found.major >= 21 and (found.home / "bin" / "java").exists()
