"""Fixtures of the staff-side tests (two organizations with staff, campaigns and tokens; a federation)."""

from tests.integration.web.staff_support import app_with, federation, quick_passwords, tenants

__all__ = ["app_with", "federation", "quick_passwords", "tenants"]
