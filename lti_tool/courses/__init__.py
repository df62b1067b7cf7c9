"""Courses as Staffroom sees them, and the shell every feature plugs into.

Owns ``person``, ``course`` and ``membership``: who is in which course with which
roles, from launches and the roster (NRPS). Also: the course context of a request
and the course permission table (``context``, ``policy``), the handler that a valid
launch is handed to (``launch``) and the deep linking picker, the course dashboard
shell (``views``), and the registry through which features reach the shared blocks
(``registry``). Imports ``lti`` only.
"""
