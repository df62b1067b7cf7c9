"""Every model, imported in one place so that Alembic and create_all see them all."""

from lti_tool.admin.models import AdminUser
from lti_tool.courses.models import Course, Membership, Person
from lti_tool.lti.models import Deployment, Platform, ToolKey

__all__ = ["AdminUser", "Course", "Deployment", "Membership", "Person", "Platform", "ToolKey"]
