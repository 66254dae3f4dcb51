"""From raw payloads to typed, deduplicated frames; bad rows are quarantined, never dropped."""
