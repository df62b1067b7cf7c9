"""The administrator's configuration page: platform registrations, deployments, keys."""
