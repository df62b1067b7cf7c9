"""The tool's administrator accounts and their signed-in session.

Below both the admin page (which manages platforms, keys and accounts) and dynamic
registration (which an administrator signed in to this browser may start), so that
neither has to reach up into the other to ask who is signed in.
"""
