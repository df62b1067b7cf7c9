"""Registering Staffroom in an LMS: LTI Dynamic Registration and the Canvas JSON configuration.

``/lti/register`` is the registration URL an LMS administrator pastes into Canvas or
Moodle (views.py); only a signed-in tool administrator or a one-time invitation link
made on the admin page may use it (invitations.py). ``/lti/canvas.json`` is the
Canvas developer key configuration. The LTI side (reading the platform's
configuration, the registration request) is :mod:`lti_tool.lti.dynamic_registration`;
this package decides who may register and stores the result, pending activation.
"""
