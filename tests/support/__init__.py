"""Test helpers shared by the suite: imported by tests, never by the app."""
