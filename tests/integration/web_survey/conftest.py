"""A campaign whose questionnaire has every question type, and a browser-like client that fills its forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.models import Campaign
from service.runtime import Runtime
from tests.support.web_survey import EVERY_TYPE, QUESTIONS, make_survey_campaign

__all__ = ["EVERY_TYPE", "QUESTIONS", "Form", "Respondent", "forms_of"]


@dataclass
class Form:
    """One ``<form>`` of a page: where it posts and the values a browser would send with it."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    inputs: list[dict[str, str]] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(values.get("action", ""))
            self.forms.append(self._current)
        elif self._current is not None and tag == "input":
            if values.get("type") == "hidden":
                self._current.hidden[values["name"]] = values.get("value", "")
            else:
                self._current.inputs.append(values)
        elif self._current is not None and tag == "button":
            self._current.buttons.append(values)
        elif self._current is not None and tag == "textarea":
            self._current.inputs.append({**values, "type": "textarea"})

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Respondent:
    """A test client that answers like a person: it reads the page it was given and posts its forms."""

    def __init__(self, client: FlaskClient, code: str) -> None:
        self.client = client
        self.code = code
        self.page = ""
        self.status = 0

    @property
    def url(self) -> str:
        return f"/s/{self.code}"

    def open(self, query: str = "", **headers: str) -> str:
        response = self.client.get(self.url + query, headers=headers)
        self.status = response.status_code
        self.page = response.get_data(as_text=True)
        return self.page

    def form(self, containing: str) -> Form:
        """The form of the current page with a field or button named ``containing``."""
        for form in forms_of(self.page):
            names = {i.get("name") for i in form.inputs} | {b.get("name") for b in form.buttons}
            if containing in names or containing in form.hidden:
                return form
        raise AssertionError(f"no form with {containing!r} on the page:\n{self.page}")

    def post(self, form: Form, data: dict[str, Any], *, follow: bool = True) -> Any:
        response = self.client.post(form.action, data={**form.hidden, **data}, follow_redirects=follow)
        self.status = response.status_code
        self.page = response.get_data(as_text=True)
        return response

    def consent(self, answer: str = "yes") -> Any:
        return self.post(self.form("answer"), {"answer": answer})

    def answer(self, value: str | list[str]) -> Any:
        return self.post(self.form("question"), {"answer": value})

    def back(self) -> Any:
        return self.post(self.form("back"), {"back": "1"})

    def switch_language(self, code: str) -> Any:
        return self.post(self.form("language"), {"language": code})

    @property
    def question_id(self) -> str:
        return self.form("question").hidden["question"]


@pytest.fixture
def make_campaign(runtime: Runtime) -> Callable[..., Campaign]:
    def make(definition: str = EVERY_TYPE, **options: Any) -> Campaign:
        return make_survey_campaign(runtime, definition, **options)

    return make


@pytest.fixture
def campaign(make_campaign: Callable[..., Campaign]) -> Campaign:
    return make_campaign()


@pytest.fixture
def respondent(app: Flask, campaign: Campaign) -> Respondent:
    return Respondent(app.test_client(), campaign.code)
