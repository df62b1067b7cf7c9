"""Every model, imported in one place so that Alembic and create_all see them all."""

from lti_tool.accounts.models import AdminUser
from lti_tool.courses.models import Course, CourseCopy, Membership, Person, PlacedLink
from lti_tool.discussion.models import Comment, Mention
from lti_tool.lti.models import Deployment, DynamicRegistration, Platform, ToolKey
from lti_tool.notes.models import LearnerNote, LearnerNoteVersion, NoteAudit
from lti_tool.observations.models import (
    Observation,
    ObservationNote,
    ObservationRating,
    ObservationTemplate,
    ObservationTemplateVersion,
)
from lti_tool.planning.models import (
    Draft,
    Plan,
    PlanRevision,
    Space,
    SpaceMember,
    SpaceTemplate,
)
from lti_tool.registration.models import RegistrationInvitation
from lti_tool.search.models import SearchDocument
from lti_tool.tasks.models import Task

__all__ = [
    "AdminUser",
    "Comment",
    "Course",
    "CourseCopy",
    "Deployment",
    "Draft",
    "DynamicRegistration",
    "LearnerNote",
    "LearnerNoteVersion",
    "Membership",
    "Mention",
    "NoteAudit",
    "Observation",
    "ObservationNote",
    "ObservationRating",
    "ObservationTemplate",
    "ObservationTemplateVersion",
    "Person",
    "PlacedLink",
    "Plan",
    "PlanRevision",
    "RegistrationInvitation",
    "Platform",
    "SearchDocument",
    "Space",
    "SpaceMember",
    "SpaceTemplate",
    "Task",
    "ToolKey",
]
