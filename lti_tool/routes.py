"""The house assembled: the course area, the shared blocks and the features, in one place.

Layers, one direction (``docs/architecture.md``; import-linter holds them):
``lti`` -> ``courses`` -> shared blocks (``search``; ``tasks``, ``discussion``,
``activity``) -> features (``planning``, ``observations``, ``notes``). This module
sits above them all: it registers each package with the application (its kinds,
sections and panels in the registry) and nests the blueprints of the blocks and
features inside the course blueprint, so that the course blueprint's
``url_value_preprocessor`` and ``before_request`` (launch session, active staff
membership) run for every URL under ``/courses/<id>/``.
"""

from __future__ import annotations

from flask import Flask

from lti_tool import activity, discussion, notes, observations, planning, search, tasks
from lti_tool.courses import launch, registry
from lti_tool.courses.deep_linking import bp as deep_linking_bp
from lti_tool.courses.views import bp as courses_bp
from lti_tool.discussion.views import bp as discussion_bp
from lti_tool.notes.views import bp as notes_bp
from lti_tool.observations.views import bp as observations_bp
from lti_tool.planning.views import bp as planning_bp
from lti_tool.search.views import bp as search_bp
from lti_tool.tasks.views import bp as tasks_bp

courses_bp.register_blueprint(planning_bp)
courses_bp.register_blueprint(observations_bp)
courses_bp.register_blueprint(notes_bp)
courses_bp.register_blueprint(tasks_bp)
courses_bp.register_blueprint(discussion_bp)
courses_bp.register_blueprint(search_bp)

# Blocks first, then features: a feature's panels and sections follow the blocks' own.
PACKAGES = (search, tasks, discussion, activity, planning, observations, notes)


def init_app(app: Flask) -> None:
    registry.init_app(app)
    launch.init_app(app)
    for package in PACKAGES:
        package.init_app(app)
    app.register_blueprint(courses_bp)
    app.register_blueprint(deep_linking_bp)
