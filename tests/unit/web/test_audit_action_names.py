"""Every audited action has a name on the owners' register, in each language of the staff pages."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from service.audit import Action
from service.web.privacy import ACTION_NAMES


def test_every_action_is_named() -> None:
    assert set(ACTION_NAMES) == {action.value for action in Action}


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_every_action_name_is_translated(language: str, sqlite_app: Flask) -> None:
    with sqlite_app.test_request_context(), force_locale(language):
        untranslated = [str(name) for name in ACTION_NAMES.values() if str(name) == name._args[0]]
    assert untranslated == []
