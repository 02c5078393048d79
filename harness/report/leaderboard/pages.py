"""Page plumbing: file names, the jinja2 environment, and the escaping of untrusted text.

Metadata is untrusted: every page is rendered with autoescaping on, a URL becomes a link only when
it is a plain ``http(s)`` address, and JSON embedded in a page has ``<``, ``>`` and ``&`` escaped so
that no value can close its ``<script>`` element.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.report.leaderboard.page_markup import board_cells, command_markup, mark_glyph, mark_markup
from harness.submissions import check_name

TEMPLATES = Path(__file__).parent / "templates"
TABLE_SCHEMA = "harness-leaderboard-table/1"  # a page's JSON download (written by the page's script: :mod:`.downloads`)
_SAFE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~-]*\.html$")
_SAFE_DATA = re.compile(r"^data/[A-Za-z0-9][A-Za-z0-9._+~-]*\.(csv|json)$")
_URL = re.compile(r"^https?://[^\s<>\"'`\x00-\x1f\x7f]+$", re.IGNORECASE)


def checked_file(name: str) -> str:
    """A page name that stays in the site's folder."""
    if not _SAFE_FILE.match(name) or ".." in name:
        raise HarnessError(f"refusing to write a page named {name!r}")
    return name


def checked_data_file(name: str) -> str:
    """A download's name that stays in the site's ``data`` folder."""
    if not _SAFE_DATA.match(name) or ".." in name:
        raise HarnessError(f"refusing to write a data file named {name!r}")
    return name


def dataset_file(dataset: str) -> str:
    """``dataset-ID.html`` (the page of the dataset's first measure); a ``/`` in a dataset id becomes ``~``."""
    return checked_file(f"dataset-{dataset.replace('/', '~')}.html")


def measure_files(dataset: str, measures: list[str]) -> dict[str, str]:
    """The page of each measure of a dataset: the first at :func:`dataset_file`, each other at
    ``dataset-ID.MEASURE.html`` (characters other than letters, digits and ``.+~-`` written ``_``; by
    position, ``.m2``, ``.m3`` ..., should two measures come out the same). One page a measure: at
    hundreds of systems a page holding every measure's table is tens of megabytes."""
    first = dataset_file(dataset)
    stem = first[: -len(".html")]
    slugs = [re.sub(r"[^A-Za-z0-9.+~-]", "_", measure) for measure in measures]
    if len(set(slugs)) < len(slugs):
        slugs = [f"m{i + 1}" for i in range(len(measures))]
    return {measure: first if i == 0 else checked_file(f"{stem}.{slug}.html") for i, (measure, slug) in enumerate(zip(measures, slugs))}


def system_file(name: str) -> str:
    """``system-NAME.html`` for a valid submission name."""
    return checked_file(f"system-{check_name(name)}.html")


def safe_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL without spaces or quotes, else None (then shown as text only)."""
    return value if isinstance(value, str) and _URL.match(value) else None


def escape_json(text: str) -> str:
    """JSON text safe inside ``<script type="application/json">``."""
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


class RawJson(str):
    """JSON text already written (big numeric arrays are formatted without ``json.dumps``)."""


def json_for_script(value: Any) -> Any:
    """A jinja filter: ``value`` as escaped JSON, marked safe for the template."""
    from markupsafe import Markup

    text = value if isinstance(value, RawJson) else json.dumps(value, ensure_ascii=False, allow_nan=False)
    return Markup(escape_json(str(text)))


def compact_code(text: str) -> Any:
    """Inline CSS or JavaScript without indentation, blank lines and whole-line comments (a jinja
    filter): each of a 200-system site's 214 pages carries the same dozen kilobytes of it. Line
    breaks stay, so no two statements are joined."""
    from markupsafe import Markup

    kept = []
    for line in str(text).split("\n"):
        code = line.strip()
        if code and not code.startswith("//") and not (code.startswith("/*") and code.endswith("*/")):
            kept.append(code)
    return Markup("\n".join(kept))


@lru_cache(maxsize=1)
def environment():
    """The jinja2 environment of the site's templates (autoescaped, undefined names are errors)."""
    import jinja2

    class ViewEnvironment(jinja2.Environment):
        """The views are plain dicts: ``cell.value`` looks the key up first. (jinja tries the attribute
        first, and a dict's missing attribute costs an exception: about a million of them for the
        pages of fifty systems.) Where the key is absent, jinja's own lookup follows, as before."""

        def getattr(self, obj, attribute):
            if type(obj) is dict:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    env = ViewEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json_script"] = json_for_script
    env.filters["compact_code"] = compact_code
    env.filters["board_cells"] = board_cells
    env.filters["mark"] = mark_markup
    env.filters["mark_glyph"] = mark_glyph
    env.globals["command"] = command_markup
    env.globals["table_schema"] = TABLE_SCHEMA
    return env
