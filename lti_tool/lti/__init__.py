"""Everything LTI: login, launch validation, registrations, keys and platform services.

Owns ``platform``, ``deployment`` and ``tool_key``. This is the only package that
imports pylti1p3 or reads id_token claims. Its output is a
:class:`lti_tool.lti.context.LaunchContext`, handed to whichever handler the
application registered (:mod:`lti_tool.lti.handoff`); it knows no course table
and no feature.
"""
