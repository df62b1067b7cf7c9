"""The ready templates every space offers, written for the teams who use Staffroom.

They are code, not rows: every space gets the same, and a better wording
reaches every school with the next release. A space saves its own templates
as :class:`~lti_tool.planning.models.SpaceTemplate` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti_tool.planning.models import PlanKind


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    kind: PlanKind
    name: str
    description: str
    objectives: str
    body: str


UNIT = BuiltinTemplate(
    key="unit",
    kind=PlanKind.UNIT,
    name="Unit plan",
    description="A sequence of lessons around one big idea, planned backwards from the evidence.",
    objectives=(
        "By the end of this unit learners will be able to:\n"
        "- …\n"
        "- …\n"
    ),
    body="""## Big idea and why it matters

What is the one idea learners should still hold a year from now? Why does it matter to them?

## Essential questions

- …
- …

## Evidence of learning

How will learners show what they understand? Name the final task and the success criteria.

| Success criterion | What it looks like | Where we will see it |
|---|---|---|
|  |  |  |

## Prior knowledge and likely misconceptions

- What they should already know:
- Misconceptions we expect:

## Sequence of lessons

Add each lesson as a lesson plan inside this unit; list the arc here.

1. …
2. …
3. …

## Differentiation and support

- Learners who need more support:
- Learners ready for more challenge:
- Language support:

## Resources

- …

## Checklist before we start

- [ ] Final task and criteria agreed by the team
- [ ] Resources shared in the course
- [ ] Dates checked against the school calendar
""",
)

LESSON = BuiltinTemplate(
    key="lesson",
    kind=PlanKind.LESSON,
    name="Lesson plan",
    description="One lesson: intention, success criteria, the flow of the hour, and a check.",
    objectives="Learning intention: We are learning to …\n",
    body="""## Success criteria

I can …

- …
- …

## Starter (5–10 min)

How do we connect to what learners already know?

## Main activity (25–35 min)

What will learners do, and what will the teacher do while they do it?

## Check for understanding

The question or task that tells us who has got it (exit ticket, hinge question, mini whiteboards).

## Plenary (5 min)

## Adaptations

- Support:
- Stretch:

## Materials

- [ ] …
""",
)

PLC_MEETING = BuiltinTemplate(
    key="plc_meeting",
    kind=PlanKind.MEETING,
    name="PLC meeting",
    description="A team meeting with an agenda, minutes, decisions and owned action items.",
    objectives="Purpose of this meeting:\n",
    body="""## Attendees

- …

## Agenda

| Time | Item | Led by |
|---|---|---|
| 5 min | Check-in and norms |  |
| 20 min |  |  |
| 10 min | Decisions and next steps |  |

## Minutes

### Item 1

### Item 2

## Decisions

- …

## Action items

Add each action as a task with an owner and a due date, so nothing is lost between meetings.

- [ ] …
- [ ] …

## Next meeting

Date and focus:
""",
)

PLC_CYCLE = BuiltinTemplate(
    key="plc_cycle",
    kind=PlanKind.PLC_CYCLE,
    name="PLC cycle: the four questions",
    description=(
        "A professional learning community cycle around the four questions a collaborative "
        "team asks about learning."
    ),
    objectives="The essential learning this cycle is about:\n",
    body="""## 1. What do we want learners to learn?

The essential standards or outcomes for this cycle, in words learners would understand.

- …

## 2. How will we know when they have learned it?

The common assessment we will all give, when, and what counts as proficient.

- Common assessment:
- Date given:
- Proficiency looks like:

## 3. How will we respond when some learners have not learned it?

Look at the results together, learner by learner. Who needs what, and who will give it?

| Learner group | What they need | Who | When |
|---|---|---|---|
|  |  |  |  |

## 4. How will we extend the learning for those who have?

- …

## What we learned as a team

Which of our practices worked best, according to the evidence? What will we keep doing?
""",
)

INQUIRY = BuiltinTemplate(
    key="inquiry",
    kind=PlanKind.INQUIRY,
    name="Inquiry cycle",
    description=(
        "A spiral of inquiry from learners' evidence: scan, focus, hunch, learn, act, "
        "check impact."
    ),
    objectives="The learners this inquiry is for, and what we hope changes for them:\n",
    body="""## Scan

What is going on for our learners? Gather evidence from more than one source: work samples,
conversations with learners, observations, data.

- What we notice:
- What learners told us:

## Focus

Of everything we saw, where will we put our energy? Choose one area that matters most for
these learners.

## Hunch

How are we, the adults, contributing to the situation? Write our hunches honestly; we will
test them.

- …

## New learning

What do we need to learn, and from where (research, colleagues, visits), to act differently?

- …

## Take action

What will we do differently in our classrooms, from when, and how will we record it?

- [ ] …
- [ ] …

## Check impact

Did we make enough of a difference for these learners? How do we know? What is next?
""",
)

BUILTIN_TEMPLATES: tuple[BuiltinTemplate, ...] = (UNIT, LESSON, PLC_MEETING, PLC_CYCLE, INQUIRY)
BY_KEY = {t.key: t for t in BUILTIN_TEMPLATES}
