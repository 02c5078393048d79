"""Finding a Java 21+ runtime for pyserini's Lucene and starting the one in-process JVM.

pyserini 1.6 bundles Anserini 1.7 (class files of Java 21); distributions often ship an older
default ``java``. The JVM is started once per Python process and its options are fixed then,
so the heap is bounded here, before anything else can start it.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

MIN_JAVA = 21
HEAP_ENV = "HARNESS_JAVA_HEAP"
DEFAULT_HEAP = "2g"
SEARCH_DIRS: tuple[Path, ...] = (Path("/usr/lib/jvm"), Path("/usr/local"), Path("/opt"))
# Java 24+ prints a warning for every Lucene MMapDirectory unless told that Unsafe is allowed;
# older JVMs refuse the unknown option, so it is only given where it exists.
_UNSAFE_OPTION = ("--sun-misc-unsafe-memory-access=allow", 24)

_VERSION = re.compile(r'version "([^"]+)"')


@dataclass(frozen=True)
class JavaInstall:
    """A Java runtime: its home folder and version (``major`` as in 8, 17, 21, 25)."""

    home: Path
    version: str
    major: int

    def __str__(self) -> str:
        return f"{self.home} (Java {self.version})"


def parse_java_version(text: str) -> tuple[str, int] | None:
    """The version string and major version in ``java -version`` output (``1.8.0_292`` is 8)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    version = match.group(1)
    parts = re.findall(r"\d+", version)
    if not parts:
        return None
    major = int(parts[1]) if parts[0] == "1" and len(parts) > 1 else int(parts[0])
    return version, major


def probe(java: Path) -> JavaInstall | None:
    """Run ``java -version``; None where it is not a working Java."""
    try:
        done = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    parsed = parse_java_version(done.stderr + done.stdout)
    if done.returncode != 0 or parsed is None:
        return None
    return JavaInstall(java.resolve().parent.parent, *parsed)


def find_java(
    java_home: str | None = None,
    search_dirs: Sequence[Path] | None = None,
    path: str | None = None,
) -> JavaInstall:
    """The Java 21+ to use: ``$JAVA_HOME`` if it qualifies, else the newest one found in
    ``search_dirs`` (``/usr/lib/jvm``, ``/usr/local``, ``/opt``: their children and grandchildren)
    or on ``PATH``. ``java_home``/``path`` default to ``$JAVA_HOME``/``$PATH`` ("" means none).
    Raises a one-line :class:`HarnessError` saying what was found when nothing qualifies."""
    java_home = os.environ.get("JAVA_HOME", "") if java_home is None else java_home
    path = os.environ.get("PATH", "") if path is None else path
    dirs = SEARCH_DIRS if search_dirs is None else tuple(search_dirs)
    found: list[JavaInstall] = []
    if java_home:
        install = probe(Path(java_home) / "bin" / "java")
        if install is not None and install.major >= MIN_JAVA:
            return install
        if install is not None:
            found.append(install)
    seen = {install.home for install in found}
    for java in _candidates(dirs, path):
        if java.resolve().parent.parent in seen:
            continue
        install = probe(java)
        if install is not None:
            seen.add(install.home)
            found.append(install)
    usable = [install for install in found if install.major >= MIN_JAVA]
    if usable:
        return max(usable, key=lambda install: (install.major, _numbers(install.version), str(install.home)))
    where = ", ".join(map(str, found)) or "no Java at all"
    looked = ", ".join([f"$JAVA_HOME={java_home or '(unset)'}", *map(str, dirs), "PATH"])
    raise HarnessError(
        f"BM25 (pyserini/Lucene) needs Java {MIN_JAVA} or newer; found {where} (looked in {looked}). "
        f"Install a JDK {MIN_JAVA}+ (e.g. Temurin) and set JAVA_HOME to its folder"
    )


def _candidates(search_dirs: Iterable[Path], path: str) -> Iterator[Path]:
    for root in search_dirs:
        # Sorted, so that the same machine always yields the same choice among equal versions.
        for pattern in ("*/bin/java", "*/*/bin/java"):
            for hit in sorted(glob.glob(str(Path(root) / pattern))):
                if os.access(hit, os.X_OK):
                    yield Path(hit)
    on_path = shutil.which("java", path=path) if path else None
    if on_path:
        yield Path(on_path)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def heap_size() -> str:
    """The JVM heap bound: ``$HARNESS_JAVA_HEAP`` (e.g. ``4g``, ``512m``) or 2g."""
    heap = os.environ.get(HEAP_ENV, DEFAULT_HEAP).strip()
    if not re.fullmatch(r"\d+[kKmMgG]?", heap):
        raise HarnessError(f"{HEAP_ENV}={heap!r}: expected a size such as 2g or 512m")
    return heap


_started: JavaInstall | None = None


def start_jvm() -> JavaInstall:
    """Start the JVM with the Anserini jar (once per process) and return the Java it runs.

    Finds a Java 21+, points ``JAVA_HOME``/``PATH`` at it and bounds the heap before pyjnius
    starts the JVM. Uses ``pyserini.pyclass`` (the jar and ``autoclass``), never
    ``pyserini.search.lucene``, whose import loads torch and builds an OpenAI client (about 12 s).
    If something else already started the JVM, it is used as it is.
    """
    global _started
    if _started is not None:
        return _started
    import jnius_config

    if not jnius_config.vm_running:
        install = find_java()
        os.environ["JAVA_HOME"] = str(install.home)
        os.environ["PATH"] = f"{install.home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        jnius_config.add_options(f"-Xmx{heap_size()}")
        # -Xrs: the JVM installs no SIGINT/SIGTERM handlers of its own (which would exit the whole
        # process at once, status 130, without a word), so Ctrl-C reaches Python's handler.
        jnius_config.add_options("-Xrs")
        option, since = _UNSAFE_OPTION
        if install.major >= since:
            jnius_config.add_options(option)
    from pyserini.pyclass import autoclass  # adds the Anserini jar to the classpath and starts the JVM

    _quiet_lucene_mmap_warning(autoclass)
    system = autoclass("java.lang.System")
    version = str(system.getProperty("java.version"))
    _started = JavaInstall(Path(str(system.getProperty("java.home"))), version, parse_java_version(f'version "{version}"')[1])
    return _started


_mmap_logger: object | None = None


def _quiet_lucene_mmap_warning(autoclass: Callable[[str], Any]) -> None:
    """Lucene 9.9 warns on every Java 22+ that a newer Lucene would map files better: true, and
    nothing a user can act on. java.util.logging holds loggers weakly, hence the reference kept."""
    global _mmap_logger
    _mmap_logger = autoclass("java.util.logging.Logger").getLogger("org.apache.lucene.store.MMapDirectory")
    _mmap_logger.setLevel(autoclass("java.util.logging.Level").SEVERE)


def runtime_versions() -> dict[str, str]:
    """What pins Lucene's behaviour: pyserini, Anserini and Lucene versions and the running Java."""
    from importlib.metadata import version

    import jnius_config

    java = start_jvm()
    from pyserini.pyclass import autoclass

    jars = [Path(entry).name for entry in jnius_config.classpath or () if "anserini-" in Path(entry).name]
    anserini = re.search(r"anserini-(.+?)-fatjar\.jar", jars[0]).group(1) if jars else "unknown"
    return {
        "pyserini": version("pyserini"),
        "anserini": anserini,
        "lucene": str(autoclass("org.apache.lucene.util.Version").LATEST.toString()),
        "java": java.version,
    }
