"""A teacher's observations to take away: CSV (ratings), JSON (everything), PDF (one).

What a file holds is what the person may read on the page: the observee sees the
observer's notes and ratings only once they were shared with them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from lti_tool.courses.models import Person
from lti_tool.dates import format_day, format_moment
from lti_tool.observations.models import (
    FINISHED_STATES,
    Observation,
    ObservationNote,
    ObservationRating,
)
from lti_tool.observations.services import ObservationRow, notes_and_ratings
from lti_tool.observations.template_text import RATING_LABELS

STATE_LABELS = {
    "requested": "Requested",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "shared": "Shared with the observee",
    "reflected": "Reflected on",
    "closed": "Closed",
    "declined": "Declined",
    "cancelled": "Cancelled",
}
TAG_LABELS = {"strength": "Strength", "suggestion": "Suggestion", "question": "Question",
              "note": "Note"}


def _iso(moment: Any) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def sees_feedback(observation: Observation, person: Person) -> bool:
    return observation.observer_id == person.id or observation.state in FINISHED_STATES


def _role(observation: Observation, person: Person) -> str:
    return "observer" if observation.observer_id == person.id else "observee"


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ would start a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def ratings_csv(person: Person, rows: list[ObservationRow]) -> str:
    """One line per look-for of every observation the person may read the ratings of."""
    _, ratings = notes_and_ratings([r.id for r in rows])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["observation_id", "your_role", "observee", "observer", "lesson", "state",
                     "shared_at", "section", "look_for", "rating", "rating_label", "evidence"])
    for row in rows:
        o = row.observation
        if not sees_feedback(o, person):
            continue
        for r in ratings[o.id]:
            writer.writerow([
                o.id, _role(o, person), _csv_safe(row.observee_name),
                _csv_safe(row.observer_name), _csv_safe(o.lesson_title), o.state,
                _iso(o.shared_at) or "", _csv_safe(r.section), _csv_safe(r.criterion),
                "" if r.rating is None else r.rating,
                "" if r.rating is None else RATING_LABELS[r.rating], _csv_safe(r.evidence),
            ])
    return out.getvalue()


def _note(n: ObservationNote) -> dict[str, Any]:
    return {"at": _iso(n.noted_at), "tag": n.tag, "text": n.body}


def _rating(r: ObservationRating) -> dict[str, Any]:
    return {"section": r.section, "look_for": r.criterion, "key": r.criterion_key,
            "rating": r.rating, "rating_label": RATING_LABELS.get(r.rating) if r.rating
            is not None else None, "evidence": r.evidence}


def everything_json(person: Person, rows: list[ObservationRow]) -> str:
    """Every observation the person took part in, whole, as they may read it."""
    notes, ratings = notes_and_ratings([r.id for r in rows])
    items = []
    for row in rows:
        o = row.observation
        feedback = sees_feedback(o, person)
        prompts = {p["key"]: p["label"] for p in o.template_version.structure.get("prompts", [])}
        items.append({
            "id": o.id,
            "your_role": _role(o, person),
            "observee": row.observee_name,
            "observer": row.observer_name,
            "form": {"name": o.template_version.name, "version": o.template_version.number,
                     "structure": o.template_version.structure},
            "state": o.state,
            "lesson": o.lesson_title,
            "lesson_link": f"{o.lesson_kind}:{o.lesson_id}" if o.lesson_kind else None,
            "scheduled_on": o.scheduled_on.isoformat() if o.scheduled_on else None,
            "request_message": o.request_message,
            "focus": o.focus or [],
            "plan_focus": o.plan_focus or [],
            "focus_note": o.focus_note,
            "started_at": _iso(o.started_at),
            "shared_at": _iso(o.shared_at),
            "reflected_at": _iso(o.reflected_at),
            "closed_at": _iso(o.closed_at),
            "notes": [_note(n) for n in notes[o.id]] if feedback else [],
            "ratings": [_rating(r) for r in ratings[o.id]] if feedback else [],
            "answers": ([{"prompt": prompts.get(k, k), "text": v}
                         for k, v in (o.answers or {}).items()] if feedback else []),
            "reflection": o.reflection if feedback else "",
            "next_steps": o.next_steps if feedback else "",
        })
    return json.dumps({"observations": items}, ensure_ascii=False, indent=2)


# --- PDF ------------------------------------------------------------------------------------

# A Unicode TrueType font makes every script print; without one, the PDF uses the
# built-in Helvetica, which covers Latin-1 only, and says so.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def _font_path(configured: str | None) -> Path | None:
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        path = Path(candidate)
        if path.is_file():
            return path
    return None


class _Pdf(FPDF):
    def __init__(self, font: Path | None) -> None:
        super().__init__(format="A4")
        self.unicode = font is not None
        if font is not None:
            self.add_font("Body", "", str(font))
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.lossy = False
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        encoded = value.encode("latin-1", "replace").decode("latin-1")
        if encoded != value:
            self.lossy = True
        return encoded

    def para(self, text: str, size: float = 10.5, *, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold and not self.unicode else "", size)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT)

    def heading(self, text: str, size: float = 13) -> None:
        self.ln(2)
        self.para(text, size, bold=True)
        self.ln(1)


def observation_pdf(observation: Observation, row: ObservationRow, notes: list[ObservationNote],
                    ratings: list[ObservationRating], *, feedback: bool,
                    font: str | None = None) -> bytes:
    """One observation on A4: the lesson, the focus, and (when readable) the feedback."""
    pdf = _Pdf(_font_path(font))
    pdf.set_title(pdf.text_of(f"Observation: {observation.lesson_title}"))
    pdf.set_author("Staffroom")
    pdf.add_page()
    pdf.para("Peer observation (confidential to the pair and whom the observee shared "
             "it with)", 8.5)
    pdf.heading(f"Observation: {observation.lesson_title}", 16)
    pdf.para(f"Observee: {row.observee_name}")
    pdf.para(f"Observer: {row.observer_name}")
    pdf.para(f"Form: {observation.template_version.name} (version "
             f"{observation.template_version.number})")
    pdf.para(f"State: {STATE_LABELS.get(observation.state, observation.state)}")
    if observation.scheduled_on:
        pdf.para(f"Lesson on: {format_day(observation.scheduled_on)}")
    if observation.focus_note:
        pdf.heading("What the observee asked for feedback on")
        pdf.para(observation.focus_note)
    if feedback:
        if notes:
            pdf.heading("Running notes")
            for n in notes:
                stamp = format_moment(n.noted_at)
                pdf.para(f"{stamp}  [{TAG_LABELS.get(n.tag, n.tag)}]  {n.body}")
        if ratings:
            pdf.heading("Look-fors")
            section = None
            for r in ratings:
                if r.section != section:
                    section = r.section
                    pdf.para(section, 11, bold=True)
                level = RATING_LABELS.get(r.rating, "Not rated") if r.rated else ""
                pdf.para(f"- {r.criterion}" + (f": {level}" if level else ""))
                if r.evidence:
                    pdf.para(f"  Evidence: {r.evidence}", 9.5)
        prompts = {p["key"]: p["label"]
                   for p in observation.template_version.structure.get("prompts", [])}
        for key, label in prompts.items():
            answer = (observation.answers or {}).get(key, "")
            if answer:
                pdf.heading(label)
                pdf.para(answer)
        if observation.reflection:
            pdf.heading("The observee's reflection")
            pdf.para(observation.reflection)
        if observation.next_steps:
            pdf.heading("Next steps")
            pdf.para(observation.next_steps)
    else:
        pdf.ln(4)
        pdf.para("The observer has not shared the feedback yet.")
    if pdf.lossy:
        pdf.ln(4)
        pdf.para("Some characters could not be shown in this PDF (no Unicode font on the "
                 "server); the print view and the JSON export have them all.", 8.5)
    return bytes(pdf.output())
