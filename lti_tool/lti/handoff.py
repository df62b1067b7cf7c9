"""Where a valid launch goes next: the handler the application registers.

``lti/`` validates the launch and turns it into a :class:`LaunchContext`; what
the tool then does with it (remember the person and the course, open the
dashboard or the deep linking picker) belongs to the packages above, which
register one handler with :func:`register_launch_handler`. ``lti/`` imports
none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask.typing import ResponseReturnValue

from lti_tool.lti.context import LaunchContext

EXTENSION = "staffroom.launch_handler"

# (the validated launch, its registration) -> the response to the launch POST
LaunchHandler = Callable[[LaunchContext, Any], ResponseReturnValue]


def register_launch_handler(app: Flask, handler: LaunchHandler) -> None:
    app.extensions[EXTENSION] = handler


def hand_over(ctx: LaunchContext, platform: Any) -> ResponseReturnValue:
    """Give the validated launch to the registered handler."""
    handler = current_app.extensions.get(EXTENSION)
    if handler is None:
        raise RuntimeError("no launch handler is registered (see lti_tool.lti.handoff)")
    return handler(ctx, platform)
