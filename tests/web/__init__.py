"""Tests that drive the app in Chromium (marked `browser`)."""
