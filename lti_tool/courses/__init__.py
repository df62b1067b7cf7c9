"""Courses as Staffroom sees them: people, memberships, the course dashboard."""
