"""An observation form written as plain text, and the structure stored from it.

Teachers and administrators adapt a form in one text box, one line per item::

    # Classroom environment
    - Routines let learning start promptly
    - Learners ask for help and offer it [rating]
    - Where learners sit and why [evidence]
    ? What went well
    ? Even better if

``# `` starts a section, ``- `` is a look-for (rated on the scale and with an
evidence field; ``[rating]`` or ``[evidence]`` at the end keeps only one of the
two), ``? `` an open prompt answered in words. A look-for's key is derived from
its text, so a look-for keeps its key through edits of other lines and in copies
of the form, and growth over time follows it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any

TEXT_MAX = 20_000
LINE_MAX = 500
SECTION_MAX = 200
MAX_CRITERIA = 80
MAX_PROMPTS = 10

# The rating scale of every form: four levels, plus "not observed" (stored as 0).
SCALE = ("Beginning", "Developing", "Proficient", "Exemplary")
NOT_OBSERVED = 0
RATING_LABELS = {0: "Not observed", **{i + 1: label for i, label in enumerate(SCALE)}}


class TemplateTextError(ValueError):
    """The text is not a usable form; the message names the line."""


def _clean(text: str) -> str:
    return " ".join(text.split())


def criterion_key(text: str) -> str:
    """A short stable key for a look-for, from its text (case and spacing aside)."""
    normal = unicodedata.normalize("NFC", _clean(text)).casefold()
    return "c" + hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def prompt_key(label: str) -> str:
    normal = unicodedata.normalize("NFC", _clean(label)).casefold()
    return "p" + hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True)
class Criterion:
    key: str
    text: str
    rated: bool = True
    evidence: bool = True


def parse(text: str) -> dict[str, Any]:
    """The structure of a form written as text.

    :raise TemplateTextError: with the line number, for a line that is none of the
        three kinds, a look-for outside a section, a repeated look-for, too many
        items, or a form without a single look-for or prompt.
    """
    if "\x00" in text:
        raise TemplateTextError("The form contains a NUL character: remove it")
    if len(text) > TEXT_MAX:
        raise TemplateTextError(f"The form is longer than {TEXT_MAX:,} characters")
    sections: list[dict[str, Any]] = []
    prompts: list[dict[str, str]] = []
    seen: set[str] = set()
    seen_prompts: set[str] = set()
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        marker, rest = line[:1], _clean(line[1:])
        if marker == "#":
            title = _clean(line.lstrip("#"))
            if not title:
                raise TemplateTextError(f"Line {number}: give the section a title after #")
            if len(title) > SECTION_MAX:
                raise TemplateTextError(
                    f"Line {number}: keep section titles to {SECTION_MAX} characters")
            sections.append({"title": title, "criteria": []})
        elif marker == "-":
            criterion = _criterion(rest, number)
            if not sections:
                raise TemplateTextError(
                    f"Line {number}: a look-for must come after a section title (# …)")
            if criterion.key in seen:
                raise TemplateTextError(f"Line {number}: “{criterion.text}” is in the form twice")
            seen.add(criterion.key)
            sections[-1]["criteria"].append({
                "key": criterion.key, "text": criterion.text,
                "rated": criterion.rated, "evidence": criterion.evidence,
            })
        elif marker == "?":
            if not rest:
                raise TemplateTextError(f"Line {number}: write the question after ?")
            if len(rest) > LINE_MAX:
                raise TemplateTextError(f"Line {number}: keep prompts to {LINE_MAX} characters")
            key = prompt_key(rest)
            if key in seen_prompts:
                raise TemplateTextError(f"Line {number}: “{rest}” is in the form twice")
            seen_prompts.add(key)
            prompts.append({"key": key, "label": rest})
        else:
            raise TemplateTextError(
                f"Line {number}: start it with # (a section), - (a look-for) or ? (a prompt)")
    if len(seen) > MAX_CRITERIA:
        raise TemplateTextError(f"A form has at most {MAX_CRITERIA} look-fors")
    if len(prompts) > MAX_PROMPTS:
        raise TemplateTextError(f"A form has at most {MAX_PROMPTS} prompts")
    sections = [s for s in sections if s["criteria"]]
    if not sections and not prompts:
        raise TemplateTextError("The form needs at least one look-for (- …) or prompt (? …)")
    return {"sections": sections, "prompts": prompts}


def _criterion(rest: str, number: int) -> Criterion:
    rated, evidence = True, True
    if rest.endswith("]") and "[" in rest:
        head, _, options = rest[:-1].rpartition("[")
        words = {w.strip().lower() for w in options.split(",")}
        if words and words <= {"rating", "evidence"}:
            rated, evidence = "rating" in words, "evidence" in words
            rest = head.strip()
    if not rest:
        raise TemplateTextError(f"Line {number}: write the look-for after -")
    if len(rest) > LINE_MAX:
        raise TemplateTextError(f"Line {number}: keep look-fors to {LINE_MAX} characters")
    return Criterion(criterion_key(rest), rest, rated, evidence)


def render(structure: dict[str, Any]) -> str:
    """The text of a stored structure (what the edit box shows); ``parse`` reads it back."""
    lines: list[str] = []
    for section in structure.get("sections", []):
        if lines:
            lines.append("")
        lines.append(f"# {section['title']}")
        for c in section["criteria"]:
            suffix = ""
            if not (c.get("rated", True) and c.get("evidence", True)):
                suffix = " [rating]" if c.get("rated", True) else " [evidence]"
            lines.append(f"- {c['text']}{suffix}")
    if structure.get("prompts"):
        lines.append("")
        lines.extend(f"? {p['label']}" for p in structure["prompts"])
    return "\n".join(lines) + "\n"


def criteria(structure: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every look-for of a structure with its section's title, in form order."""
    return [(s["title"], c) for s in structure.get("sections", []) for c in s["criteria"]]
