"""Certificates (R-13): issued once a plan's hours are earned, printed as a sealed PDF, verifiable by anyone."""
