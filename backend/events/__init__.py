"""What happened: actions with their audit entries, reported events, payloads, sources."""
