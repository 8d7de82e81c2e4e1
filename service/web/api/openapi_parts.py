"""Pieces shared by the OpenAPI paths of :mod:`service.web.api.openapi` and its exports module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JSON = "application/json"

CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The campaign's code.",
}


def body(schema: str, description: str, media_type: str = JSON) -> dict[str, Any]:
    """A response (or request body) whose content is one named schema."""
    return {"description": description, "content": {media_type: {"schema": schema}}}


def errors(descriptions: Mapping[int, str], *codes: int) -> dict[str, Any]:
    """Error responses, each an ``Error`` object, described in the words of the paths that answer them."""
    return {str(code): body("Error", descriptions[code]) for code in codes}
