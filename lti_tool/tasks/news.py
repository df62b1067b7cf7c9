"""The person's open tasks, a section of "What's new" on the course dashboard."""

from __future__ import annotations

from lti_tool.courses.registry import NewsSection
from lti_tool.tasks.services import open_tasks_statement, to_rows

OPEN_TASKS = NewsSection(
    name="tasks", order=20, statement=open_tasks_statement, load=to_rows,
    template="tasks/_news_tasks.html",
)
