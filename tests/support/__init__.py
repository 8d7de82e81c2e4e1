"""Test support shared by every test folder: throw-away databases, Redis, settings."""
