"""Search everything a teacher may read, ranked: plans, comments, and any feature's objects.

Features and blocks put their texts in the index with :func:`index` (in the
transaction that saves them) and take them out with :func:`unindex`. A search is
one query, restricted in SQL by the registry's list filter
(:func:`lti_tool.courses.registry.visible`), so a result the teacher may not read
is never even read; then one query per kind among the hits names them.

* **SQLite**: FTS5 ``MATCH`` on ``search_fts``, ranked by ``bm25`` with the
  title weighing most, then tags, then the body; ``highlight``/``snippet`` computed
  only for the page of results.
  User input never reaches FTS5's query syntax raw: :func:`fts5_query` turns it
  into quoted phrases (``"unclosed`` and ``OR AND`` are just words).
* **PostgreSQL**: ``websearch_to_tsquery`` (which accepts any input) against the
  weighted ``tsvector`` with its GIN index, ranked by ``ts_rank``; snippets by
  ``ts_headline`` computed only for the page of results.

On both, only the newest :data:`CANDIDATES` matches the person may read are ranked,
and only the page of results gets highlights and snippets: ranking reads each
candidate's whole index entry. In the page benchmark's school (bench/pages.py), a
common word matches 1,300 texts a teacher may read; ranking them all took PostgreSQL
23–29 ms, ranking the newest 300 took 3–6 ms. For so common a word the newest texts
are the likelier ones; a rarer word has fewer matches than that and all are ranked.

Both mark matches with private-use characters; :func:`marked_to_html` escapes
everything else and turns the marks into ``<mark>``, so a plan containing
HTML shows it as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from markupsafe import Markup, escape

from lti_tool.courses import registry
from lti_tool.courses.models import Person
from lti_tool.courses.registry import Subject, SubjectInfo
from lti_tool.extensions import db
from lti_tool.search.models import SearchDocument

QUERY_MAX_CHARS = 200
MAX_TERMS = 12
RESULTS = 30
# A common word (thousands of matches) is ranked among its newest CANDIDATES matches the
# person may read: a bounded cost (see the module docstring).
CANDIDATES = 300
START, STOP = "\ue000", "\ue001"
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


TITLE_MAX = 200
TAGS_MAX = 500


@dataclass(frozen=True)
class SearchHit:
    source: Subject  # what the text comes from: the plan itself, or a comment on it
    subject: SubjectInfo  # what the hit opens
    title: Markup  # the document's title (or the subject's), matches marked
    snippet: Markup  # the matching part of the body, matches marked

    @property
    def url(self) -> str:
        """The subject's page; a text from elsewhere on it (a comment) is its anchor."""
        if self.source.kind == self.subject.subject.kind:
            return self.subject.url
        if self.source.kind == "comment":  # the whole discussion: it may be an older comment
            page = url_for(self.subject.endpoint, **self.subject.values, comments="all")
            return f"{page}#comment-{self.source.id}"
        return f"{self.subject.url}#{self.source.kind}-{self.source.id}"


def index(source: Subject, subject: Subject | None = None, *, title: str = "", tags: str = "",
          body: str = "") -> None:
    """Put a text in the index (or replace it), in the caller's transaction.

    ``source`` is the object the text comes from, ``subject`` the object a hit opens
    (the same by default); whoever may read the subject may find the text.
    """
    subject = subject or source
    values = {
        "subject_kind": subject.kind, "subject_id": subject.id,
        "title": title[:TITLE_MAX], "tags": tags[:TAGS_MAX], "body": body,
    }
    updated = db.session.execute(
        sa.update(SearchDocument)
        .where(SearchDocument.source_kind == source.kind, SearchDocument.source_id == source.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        db.session.execute(
            sa.insert(SearchDocument).values(
                source_kind=source.kind, source_id=source.id, **values
            )
        )


def unindex(source: Subject) -> None:
    """Take a text out of the index, in the caller's transaction."""
    db.session.execute(
        sa.delete(SearchDocument).where(
            SearchDocument.source_kind == source.kind, SearchDocument.source_id == source.id
        )
    )


def normalise(query: str) -> str:
    return " ".join((query or "").split())[:QUERY_MAX_CHARS]


def fts5_query(query: str) -> str:
    """A safe FTS5 expression: quoted phrases joined by AND, with ``OR`` between them kept.

    Every word is reduced to its letters and digits and double-quoted, so no
    operator, column filter or stray quote of the user's reaches FTS5. Returns
    "" when nothing searchable is left.
    """
    clauses: list[list[str]] = []
    pending_or = False
    for match in _PHRASE_OR_WORD.finditer(normalise(query)):
        phrase, word = match.group(1), match.group(2)
        if word == "OR" and clauses:
            pending_or = True
            continue
        words = _WORD.findall(phrase if phrase is not None else word)
        if not words:
            continue
        quoted = '"' + " ".join(words) + '"'
        if pending_or:
            clauses[-1].append(quoted)
        else:
            clauses.append([quoted])
        pending_or = False
        if sum(len(c) for c in clauses) >= MAX_TERMS:
            break
    parts = [c[0] if len(c) == 1 else "(" + " OR ".join(c) + ")" for c in clauses]
    return " AND ".join(parts)


# Markdown syntax that reads as noise in a one-line snippet: heading hashes, list and
# quote markers, checklist boxes, emphasis and code marks, and link/image brackets.
_MARKDOWN_NOISE = re.compile(
    r"(?m)^\s{0,3}(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s?)"
    r"|[*_`~]{1,3}|!?\[|\]\([^)\s]*\)"
)


def plain_snippet(text: str) -> str:
    """A snippet of Markdown source as plain words on one line."""
    return " ".join(_MARKDOWN_NOISE.sub("", text or "").split())


def marked_to_html(text: str) -> Markup:
    """Escape ``text`` and turn START…STOP marks into ``<mark>``; unbalanced marks are closed."""
    out: list[str] = []
    inside = False
    for piece in re.split(f"([{START}{STOP}])", plain_snippet(text)):
        if piece == START:
            if not inside:
                out.append("<mark>")
                inside = True
        elif piece == STOP:
            if inside:
                out.append("</mark>")
                inside = False
        else:
            out.append(str(escape(piece)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above


def search(person: Person, query: str, limit: int = RESULTS) -> list[SearchHit]:
    """The best matches for ``query`` among what the person may read, best first."""
    text = normalise(query)
    if not _WORD.search(text):
        return []
    if db.engine.dialect.name == "postgresql":
        rows = _search_postgres(person, text, limit)
    else:
        expression = fts5_query(text)
        if not expression:
            return []
        rows = _search_sqlite(person, expression, limit)
    subjects = registry.describe(Subject(kind, sid) for _, _, kind, sid, _, _ in rows)
    hits = []
    for source_kind, source_id, kind, sid, title, snippet in rows:
        info = subjects.get(Subject(kind, sid))
        if info is None:
            continue
        hits.append(SearchHit(
            source=Subject(source_kind, source_id),
            subject=info,
            title=marked_to_html(title) if title else escape(info.title),
            snippet=marked_to_html(snippet or ""),
        ))
    return hits


def _visible(person: Person) -> sa.ColumnElement[bool]:
    return registry.visible(
        SearchDocument.subject_kind, SearchDocument.subject_id, person.id, person.platform_id,
        listed_only=True,
    )


_COLUMNS = (
    SearchDocument.source_kind, SearchDocument.source_id,
    SearchDocument.subject_kind, SearchDocument.subject_id,
)


def _search_sqlite(person: Person, expression: str, limit: int) -> list[tuple]:
    fts = sa.table("search_fts", sa.column("rowid"))
    fts_name = sa.literal_column("search_fts")
    matching = fts_name.op("MATCH")(expression)
    # The newest CANDIDATES matches the person may read (FTS5 walks its index by rowid, so
    # this stops there), ranked by bm25; only the best `limit` get highlights and snippets.
    candidates = (
        sa.select(fts.c.rowid.label("id"), sa.func.bm25(fts_name, 10.0, 4.0, 1.0).label("rank"))
        .select_from(fts)
        .join(SearchDocument, SearchDocument.id == fts.c.rowid)
        .where(matching, _visible(person))
        .order_by(fts.c.rowid.desc())
        .limit(CANDIDATES)
        .subquery()
    )
    best = (
        sa.select(candidates.c.id, candidates.c.rank)
        .order_by(candidates.c.rank, candidates.c.id)
        .limit(limit)
        .subquery()
    )
    statement = (
        sa.select(
            *_COLUMNS,
            sa.func.highlight(fts_name, 0, START, STOP),
            sa.func.snippet(fts_name, 2, START, STOP, "…", 24),
        )
        .select_from(fts)
        .join(best, best.c.id == fts.c.rowid)
        .join(SearchDocument, SearchDocument.id == fts.c.rowid)
        .where(matching)
        .order_by(best.c.rank, best.c.id)
    )
    return [tuple(r) for r in db.session.execute(statement)]


def _search_postgres(person: Person, text: str, limit: int) -> list[tuple]:
    tsquery = sa.func.websearch_to_tsquery("english", text)
    # The newest CANDIDATES matches the person may read, ranked; headlines for the best only.
    candidates = (
        sa.select(SearchDocument.id, SearchDocument.document)
        .where(SearchDocument.document.op("@@")(tsquery), _visible(person))
        .order_by(SearchDocument.id.desc())
        .limit(CANDIDATES)
        .subquery()
    )
    ranked = (
        sa.select(
            candidates.c.id.label("id"),
            sa.func.ts_rank(candidates.c.document, tsquery).label("rank"),
        )
        .order_by(sa.desc("rank"), candidates.c.id)
        .limit(limit)
        .subquery()
    )
    options = f"StartSel={START}, StopSel={STOP}"
    statement = (
        sa.select(
            *_COLUMNS,
            sa.func.ts_headline("english", SearchDocument.title, tsquery,
                                options + ", HighlightAll=true"),
            sa.func.ts_headline("english", SearchDocument.body, tsquery,
                                options + ', MaxWords=30, MinWords=12, MaxFragments=2, '
                                'FragmentDelimiter=" … "'),
        )
        .join(ranked, ranked.c.id == SearchDocument.id)
        .order_by(ranked.c.rank.desc(), SearchDocument.id)
    )
    return [tuple(r) for r in db.session.execute(statement)]
