"""Everything LTI: login, launch validation, registrations, keys and platform services.

This is the only package that imports pylti1p3 or reads id_token claims. Its
output is a :class:`lti_tool.lti.context.LaunchContext`.
"""
