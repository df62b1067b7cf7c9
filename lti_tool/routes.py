"""The course area and the features nested in it, assembled once at import.

Feature blueprints sit inside the course blueprint, so that the course
blueprint's ``url_value_preprocessor`` and ``before_request`` (launch session,
active staff membership) run for every feature URL: ``/courses/<id>/spaces/…``,
``/courses/<id>/tasks/…``.
"""

from lti_tool.courses.views import bp as courses_bp
from lti_tool.planning.views import bp as planning_bp
from lti_tool.search.views import bp as search_bp
from lti_tool.tasks.discussion import bp as discussion_bp
from lti_tool.tasks.views import bp as tasks_bp

courses_bp.register_blueprint(planning_bp)
courses_bp.register_blueprint(tasks_bp)
courses_bp.register_blueprint(discussion_bp)
courses_bp.register_blueprint(search_bp)

__all__ = ["courses_bp"]
