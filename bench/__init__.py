"""Benchmarks that run Staffroom the way production does (gunicorn, Redis) and print figures.

``python -m bench.launches`` (``make bench``) measures complete LTI launches per
second next to a bare Flask route on the same server; see ``bench/README.md``.
Nothing here asserts a time: a benchmark reports, people decide.
"""
