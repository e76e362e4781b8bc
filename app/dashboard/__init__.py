"""The unit dashboard: a contact sees the unit's learners for a year (seat, hours, courses, certificate)."""
