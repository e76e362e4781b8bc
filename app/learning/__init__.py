"""Learning: projects, courses, chapters, progress and anti-idle prompts (a later work item)."""
