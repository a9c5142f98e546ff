"""Imports, approves, plans and schedules SMS campaigns with human-looking send times."""
