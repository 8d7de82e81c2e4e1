"""The channel-free questionnaire core: definitions, the conversation engine, reply parsing, rendering.

Pure Python: no web framework, database, queue or channel SDK is imported here (import-linter checks).
"""

from questionnaires.channel_checks import check_channels, sms_costs
from questionnaires.choice_replies import option_keys
from questionnaires.condition_parser import ConditionSyntaxError, parse_condition
from questionnaires.condition_tree import references
from questionnaires.conditions import evaluate
from questionnaires.engine import advance, current_prompt, start
from questionnaires.keywords import Command, Keyword, classify
from questionnaires.loader import (
    load_document,
    load_file,
    load_shipped,
    load_text,
    shipped_definitions,
    to_document,
)
from questionnaires.messages import message
from questionnaires.model import Question, Questionnaire, QuestionType
from questionnaires.plaintext import render_text, render_turn_text
from questionnaires.problems import DefinitionError, Problem
from questionnaires.replies import parse_reply
from questionnaires.reply_results import ParsedAnswer, ReplyError, ReplyErrorCode, Skipped
from questionnaires.turns import (
    CONSENT_ID,
    AnswerReply,
    BackReply,
    LanguageReply,
    Option,
    Outcome,
    Prompt,
    Reply,
    Stage,
    State,
    TextReply,
    Turn,
)
from questionnaires.validation import ValidationReport, validate_document, validate_file
from questionnaires.yes_no_replies import parse_yes_no

__all__ = [
    "CONSENT_ID",
    "AnswerReply",
    "BackReply",
    "Command",
    "ConditionSyntaxError",
    "DefinitionError",
    "Keyword",
    "LanguageReply",
    "Option",
    "Outcome",
    "ParsedAnswer",
    "Problem",
    "Prompt",
    "Question",
    "QuestionType",
    "Questionnaire",
    "Reply",
    "ReplyError",
    "ReplyErrorCode",
    "Skipped",
    "Stage",
    "State",
    "TextReply",
    "Turn",
    "ValidationReport",
    "advance",
    "check_channels",
    "classify",
    "current_prompt",
    "evaluate",
    "load_document",
    "load_file",
    "load_shipped",
    "load_text",
    "message",
    "option_keys",
    "parse_condition",
    "parse_reply",
    "parse_yes_no",
    "references",
    "render_text",
    "render_turn_text",
    "shipped_definitions",
    "sms_costs",
    "start",
    "to_document",
    "validate_document",
    "validate_file",
]
