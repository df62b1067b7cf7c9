"""The three starter forms Staffroom ships, written for this project.

They are written in the text format of :mod:`.template_text`, so that an
administrator or a teacher who copies one sees exactly what they can change.
None of them grades a teacher: the scale describes what was seen in this
lesson, for the observee's own learning.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti_tool.observations.template_text import parse


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    description: str
    text: str

    @property
    def structure(self) -> dict:
        return parse(self.text)


PEER = BuiltinTemplate(
    key="peer",
    name="Peer observation (non-evaluative)",
    description=(
        "A colleague watches the part of the lesson you choose and notes what they see, "
        "not how good it is. Use it to try something new and hear how it landed."
    ),
    text="""\
# The focus the observee chose
- What learners were doing and saying during the focus [evidence]
- How learners responded to the new approach or strategy [evidence]

# Learning in the room
- Learners knew what they were learning and why
- Questions drew out and checked what learners think
- Learners talked about the subject with each other
- Learners who struggled or finished early were kept learning

# Relationships and climate
- Learners felt safe to try, be wrong and ask for help
- Routines and transitions kept time for learning

? What went well
? Even better if
? A question the observer is left with
""",
)

DOMAINS = BuiltinTemplate(
    key="domains",
    name="Four domains of practice",
    description=(
        "A broad look at teaching across four domains: planning and preparation, the "
        "classroom environment, instruction, and professional responsibilities. Choose a "
        "few look-fors as the focus; the rest may stay \u201cnot observed\u201d."
    ),
    text="""\
# Planning and preparation
- The lesson's learning intentions fit the sequence of the unit
- Activities and resources match the learning intentions
- The plan anticipates misconceptions and different starting points
- Assessment during the lesson is planned, not left to chance

# Classroom environment
- Relationships are respectful between teacher and learners, and among learners
- Expectations for learning and effort are high and shared
- Routines, transitions and materials run smoothly
- Behaviour is managed calmly and consistently
- The room's layout and displays support the learning

# Instruction
- Learning intentions and success criteria are clear to learners
- Explanations and modelling are accurate and clear
- Questioning and discussion deepen thinking
- Learners are actively engaged in the learning
- Feedback during the lesson moves learning on
- The teacher adapts in the moment to what learners show

# Professional responsibilities
- The teacher reflects on the lesson's impact [evidence]
- Work with colleagues and families shows in the lesson [evidence]

? What went well
? Even better if
""",
)

LEARNING_WALK = BuiltinTemplate(
    key="learning-walk",
    name="Short learning walk",
    description=(
        "Ten minutes or less in a lesson, looking at one or two things the team agreed on. "
        "Notes and evidence only: a learning walk rates nothing."
    ),
    text="""\
# What we are looking for
- What learners are doing at this moment [evidence]
- What learners can say about what they are learning [evidence]
- Evidence of the team's agreed focus [evidence]

? One thing worth sharing with the team
? A question to talk about together
""",
)

BUILTIN_TEMPLATES = (PEER, DOMAINS, LEARNING_WALK)
BY_KEY = {t.key: t for t in BUILTIN_TEMPLATES}
