"""Shared TUI pieces: the app header, the reasons list, key tables."""
