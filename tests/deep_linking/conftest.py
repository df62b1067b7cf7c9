"""Deep linking tests use the planning tests' people: teachers as separate browsers."""

from tests.planning.conftest import ada, bo, people  # noqa: F401
