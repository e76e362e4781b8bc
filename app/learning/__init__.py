"""Learning: the catalogue, playback sessions credited on the server clock, anti-idle prompts, progress."""
