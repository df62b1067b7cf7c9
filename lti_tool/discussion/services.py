"""Comments, @mentions, and rendering them safely, on any feature's object.

Mention syntax
--------------
``@`` followed by a person's name **as Staffroom displays it** (their LMS name,
e.g. ``@Ada Teacher``), matched without regard to case and ending at a
non-letter (``@Ada Teacher,`` works; ``@Ada Teachers`` does not). Longer names
win, so ``@Ada Teacher`` mentions Ada Teacher even when an "Ada" may also read
it. Only people who may read the discussion are resolved: the *audience* of
its subject, as its kind's rule admits them (a plan of a course space: the
course's active staff; of a team space: its active members); anything else
after ``@`` stays plain text. Each mentioned person gets one :class:`Mention`
row per comment, which shows as new on their course dashboard until they open
the discussion.

A name after ``@`` that matches nobody of the audience is not dropped silently:
:func:`unmatched_mentions` lists them, and the comment form asks the author to
confirm before posting (the editor asks before the form is even sent).

Editing
-------
Only its author edits or deletes a comment. An edit names the ``version`` it
started from and is refused if the comment moved on (the author's other tab);
its mentions follow the new text (a new name is told, a removed one forgotten),
and it shows as edited. A deleted comment takes its mentions and its search
entry with it.

Rendering
---------
A comment body is Markdown rendered by the shared renderer (markdown-it with
raw HTML off, then nh3 against an allow-list). Resolved mentions are swapped
for private-use placeholder characters before rendering and replaced by
``<mark class="mention">`` afterwards; the result is cleaned by nh3 once more,
so the replacement can never produce markup outside the allow-list.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import nh3
import sqlalchemy as sa
from markupsafe import Markup, escape

from lti_tool import markdown
from lti_tool.courses.models import Person
from lti_tool.courses.registry import AudienceMember, Subject, audience
from lti_tool.db import utcnow
from lti_tool.discussion.models import Comment, Mention
from lti_tool.extensions import db
from lti_tool.search import services as search

# A comment is a message, not a document: long texts belong in the object itself.
BODY_MAX_CHARS = 5_000
SHOWN = 200  # the newest comments of a discussion shown under its object, at the most
RECENT = 30  # shown at first: a long discussion opens on its latest comments

_OPEN, _CLOSE = "\ue000", "\ue001"  # placeholder brackets around a mention's index
_PLACEHOLDER = re.compile(f"{_OPEN}([0-9]+){_CLOSE}")
# Comments are indexed for search under this kind (their hits open the subject's page).
SOURCE_KIND = "comment"
_CLEAN_TAGS = set(markdown.ALLOWED_TAGS) | {"mark"}
_CLEAN_ATTRIBUTES = {k: set(v) for k, v in markdown.ALLOWED_ATTRIBUTES.items()}
_CLEAN_ATTRIBUTES["mark"] = {"class"}


@dataclass(frozen=True)
class MentionSpan:
    start: int
    end: int
    person_id: int
    name: str


def find_mentions(body: str, members: list[AudienceMember]) -> list[MentionSpan]:
    """Where ``body`` mentions people of the audience (see the module docstring for the syntax)."""
    if "@" not in body or not members:
        return []
    by_name: dict[str, AudienceMember] = {}
    for member in members:
        by_name.setdefault(member.name.casefold(), member)
    names = sorted(by_name, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w@])@(" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE
    )
    spans = []
    for match in pattern.finditer(body):
        member = by_name[match.group(1).casefold()]
        spans.append(MentionSpan(match.start(), match.end(), member.id, member.name))
    return spans


_AFTER_AT = re.compile(r"[\w][\w'’.-]*")


def unmatched_mentions(body: str, members: list[AudienceMember]) -> list[str]:
    """The ``@names`` in ``body`` that mention nobody of the audience, in order, once each.

    What follows an ``@`` that starts no audience member's name, up to the end of
    its word (``@Bob``), is reported; an ``@`` inside a word (an e-mail address) is
    no mention. The editor does the same check in the browser (frontend/src/mentions.js).
    """
    if "@" not in body:
        return []
    matched = find_mentions(body, members)
    taken = [(span.start, span.end) for span in matched]
    found: list[str] = []
    seen: set[str] = set()
    for match in re.finditer(r"(?<![\w@])@", body):
        at = match.start()
        if any(start <= at < end for start, end in taken):
            continue
        word = _AFTER_AT.match(body, at + 1)
        if word is None:
            continue
        token = "@" + word.group(0).rstrip(".'’-")
        if token.casefold() not in seen:
            seen.add(token.casefold())
            found.append(token)
    return found


class CommentError(ValueError):
    """The comment cannot be saved; ``message`` is shown next to the comment field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate_body(body: str) -> str:
    """The body to store, or :class:`CommentError` with a message for the field."""
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise CommentError("Write something before posting")
    if len(text) > BODY_MAX_CHARS:
        raise CommentError(
            f"Keep a comment to {BODY_MAX_CHARS:,} characters (this one has {len(text):,}); "
            "longer texts belong in the document itself"
        )
    return text


def add_comment(subject: Subject, author: Person, body: str) -> Comment:
    """Post a comment, its mentions and its search entry in one transaction.

    The author is never "mentioned". Call it only for someone who may contribute
    to the subject (:func:`lti_tool.courses.registry.can_see` with ``contribute``).
    """
    text = validate_body(body)
    comment = Comment(subject_kind=subject.kind, subject_id=subject.id, author_id=author.id,
                      body=text)
    db.session.add(comment)
    db.session.flush()
    mentioned = _mentioned(subject, author, text)
    db.session.add_all(Mention(comment_id=comment.id, person_id=pid) for pid in sorted(mentioned))
    search.index(Subject(SOURCE_KIND, comment.id), subject, body=text)
    db.session.commit()
    return comment


def _mentioned(subject: Subject, author: Person, text: str) -> set[int]:
    mentioned = {m.person_id for m in find_mentions(text, audience(subject))}
    mentioned.discard(author.id)
    return mentioned


class NotAuthorError(Exception):
    """Only a comment's author may change or delete it."""


class StaleCommentError(Exception):
    """The comment changed since this edit started (its author saved it elsewhere)."""


def edit_comment(comment: Comment, author: Person, body: str, base_version: int) -> None:
    """Save the author's new text if the comment is still at ``base_version``.

    One statement checks and writes (``UPDATE … WHERE id = ? AND version = ?``).
    Mentions follow the text: someone newly named gets an unseen mention, someone no
    longer named loses theirs, the others keep theirs as they were (seen or not).
    """
    if comment.author_id != author.id:
        raise NotAuthorError()
    text = validate_body(body)
    comment_id = comment.id
    subject = Subject(comment.subject_kind, comment.subject_id)
    result = db.session.execute(
        sa.update(Comment)
        .where(Comment.id == comment_id, Comment.version == base_version)
        .values(body=text, version=Comment.version + 1, edited_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StaleCommentError()
    wanted = _mentioned(subject, author, text)
    had = set(db.session.scalars(sa.select(Mention.person_id).where(
        Mention.comment_id == comment_id)))
    if had - wanted:
        db.session.execute(sa.delete(Mention).where(
            Mention.comment_id == comment_id, Mention.person_id.in_(had - wanted)))
    db.session.add_all(Mention(comment_id=comment_id, person_id=pid)
                       for pid in sorted(wanted - had))
    search.index(Subject(SOURCE_KIND, comment_id), subject, body=text)
    db.session.commit()
    db.session.refresh(comment)


def delete_comment(comment: Comment, author: Person) -> None:
    """Delete the author's comment, its mentions and its search entry (one transaction)."""
    if comment.author_id != author.id:
        raise NotAuthorError()
    search.unindex(Subject(SOURCE_KIND, comment.id))
    db.session.execute(sa.delete(Mention).where(Mention.comment_id == comment.id))
    db.session.delete(comment)
    db.session.commit()


@dataclass(frozen=True)
class CommentView:
    comment: Comment
    author_name: str
    html: Markup


def render_body(body: str, members: list[AudienceMember]) -> Markup:
    """Sanitised HTML of a comment with its mentions highlighted."""
    text = body.replace(_OPEN, "").replace(_CLOSE, "")
    spans = find_mentions(text, members)
    parts, last = [], 0
    for index, span in enumerate(spans):
        parts.append(text[last:span.start])
        parts.append(f"{_OPEN}{index}{_CLOSE}")
        last = span.end
    parts.append(text[last:])
    html = str(markdown.render("".join(parts)))

    def mark(match: re.Match[str]) -> str:
        span = spans[int(match.group(1))]
        return f'<mark class="mention">@{escape(span.name)}</mark>'

    html = _PLACEHOLDER.sub(mark, html).replace(_OPEN, "").replace(_CLOSE, "")
    cleaned = nh3.clean(
        html,
        tags=_CLEAN_TAGS,
        attributes=_CLEAN_ATTRIBUTES,
        attribute_filter=_keep_mention_class,
        url_schemes=set(markdown.URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 - cleaned by nh3 against the allow-list above


def _keep_mention_class(tag: str, attribute: str, value: str) -> str | None:
    if tag == "mark":
        return "mention" if attribute == "class" and value == "mention" else None
    return markdown._filter_attribute(tag, attribute, value)


def comments_of(subject: Subject, members: list[AudienceMember],
                limit: int = SHOWN) -> list[CommentView]:
    """The object's discussion, oldest first (the newest ``limit``); one query."""
    rows = db.session.execute(
        sa.select(Comment, Person)
        .outerjoin(Person, Person.id == Comment.author_id)
        .where(Comment.subject_kind == subject.kind, Comment.subject_id == subject.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    ).all()
    return [
        CommentView(c, p.display_name if p else "A former member", render_body(c.body, members))
        for c, p in reversed(rows)
    ]


def mark_mentions_seen(person_id: int, subject: Subject, when: datetime | None = None,
                       comment_ids: Collection[int] | None = None) -> int:
    """The person has seen the object's discussion (or, given ``comment_ids``, those of its
    comments): their unseen mentions in it are seen."""
    on_plan = sa.select(Comment.id).where(
        Comment.subject_kind == subject.kind, Comment.subject_id == subject.id
    )
    if comment_ids is not None:
        on_plan = on_plan.where(Comment.id.in_(comment_ids))
    result = db.session.execute(
        sa.update(Mention)
        .where(
            Mention.person_id == person_id,
            Mention.seen_at.is_(None),
            Mention.comment_id.in_(on_plan),
        )
        .values(seen_at=when or utcnow())
        .execution_options(synchronize_session=False)
    )
    count = result.rowcount or 0
    if count:
        db.session.commit()
    return count
