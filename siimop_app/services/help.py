"""Aide contextuelle: one Markdown file per page under ``assets/help/``, editable without touching Python.

Each file starts with a small header, then Markdown::

    ---
    title: Classement des candidatures
    routes: /rts/classement, /rts/classement/[post_id]
    ---
    Texte en Markdown…

``routes`` lists the pages the topic explains (``[name]`` matches any one path segment). The help of a page
is the topic whose routes match its path; ``accueil.md`` is shown when none does. Files are read on every
request (a handful of small files): an edited file shows at once.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from pathlib import Path

from siimop_app.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

HELP_DIR = PROJECT_ROOT / "assets" / "help"
DEFAULT_SLUG = "accueil"
_SLUG = re.compile(r"^[a-z0-9-]{1,60}$")


@dataclasses.dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    routes: tuple[str, ...]
    body: str


@dataclasses.dataclass(frozen=True)
class TopicLink:
    """A topic as a list shows it (its text stays on the server): the index, or a search result with ``excerpt``,
    the first line that matches."""

    slug: str
    title: str
    excerpt: str = ""


def _parse(path: Path) -> Topic | None:
    text = path.read_text(encoding="utf-8")
    header, body = {}, text
    if text.startswith("---\n"):
        head, sep, rest = text[4:].partition("\n---\n")
        if sep:
            body = rest
            for line in head.splitlines():
                key, _, value = line.partition(":")
                header[key.strip()] = value.strip()
    title = header.get("title") or path.stem
    routes = tuple(r.strip().rstrip("/") or "/" for r in header.get("routes", "").split(",") if r.strip())
    return Topic(path.stem, title, routes, body.strip())


def topics(folder: Path | None = None) -> list[Topic]:
    """Every topic, the general one first, then by title."""
    found = []
    for path in sorted((folder or HELP_DIR).glob("*.md")):
        try:
            topic = _parse(path)
        except (OSError, UnicodeDecodeError):
            log.exception("help file %s cannot be read", path)
            continue
        if topic and _SLUG.match(topic.slug):
            found.append(topic)
    return sorted(found, key=lambda t: (t.slug != DEFAULT_SLUG, t.title.lower()))


def topic_links(folder: Path | None = None) -> list[TopicLink]:
    """Every topic's link, in the order of ``topics``."""
    return [TopicLink(t.slug, t.title) for t in topics(folder)]


def _matches(pattern: str, path: str) -> bool:
    wanted, actual = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(wanted) == len(actual) and all(
        w == a or (w.startswith("[") and w.endswith("]") and a) for w, a in zip(wanted, actual))


def topic_for_path(path: str, folder: Path | None = None) -> Topic | None:
    """The help of the page at ``path`` (e.g. "/rts/classement/12"), else the general topic."""
    clean = "/" + (path or "").split("?", 1)[0].split("#", 1)[0].strip("/")
    everything = topics(folder)
    for topic in everything:
        if any(_matches(route, clean) for route in topic.routes):
            return topic
    return next((t for t in everything if t.slug == DEFAULT_SLUG), None)


def topic_by_slug(slug: str, folder: Path | None = None) -> Topic | None:
    return next((t for t in topics(folder) if t.slug == slug), None) if _SLUG.match(slug or "") else None


def _fold(text: str) -> str:
    """Lower case without accents, so that "voeux" finds "vœux" and "resultat" finds "résultat"."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def search(query: str, folder: Path | None = None) -> list[TopicLink]:
    """Topics holding every word of ``query``, titles first, each with the first line that matches."""
    words = [w for w in _fold(query or "").split() if len(w) > 1][:10]
    if not words:
        return []
    results = []
    for topic in topics(folder):
        haystack = _fold(topic.title + "\n" + topic.body)
        if not all(w in haystack for w in words):
            continue
        lines = [line.strip("#-* ").strip() for line in topic.body.splitlines() if line.strip()]
        excerpt = next((line for line in lines if any(w in _fold(line) for w in words)), "")
        in_title = any(w in _fold(topic.title) for w in words)
        results.append((not in_title, topic.title, TopicLink(topic.slug, topic.title, excerpt[:240])))
    return [r[2] for r in sorted(results, key=lambda r: (r[0], r[1]))]
