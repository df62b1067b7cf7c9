"""Co-planning spaces: teams of teachers plan units and lessons together."""
