"""Spoken and texted commands: one structured form for every channel, and one processor."""
