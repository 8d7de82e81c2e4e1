"""Process logging: one format for web and workers, with phone numbers scrubbed as a last line of defence.

Code must not log phone numbers or free-text answers in the first place; the
filter catches what slips through (a provider's error message quoting a number).
"""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<![\w+])(?:\+|00)\d[\d .-]{6,16}\d")
QUIET_LOGGERS = ("httpx", "twilio.http_client", "urllib3")
"""Libraries whose INFO lines repeat request details: kept to warnings (the tests' log scan does the same)."""


class RedactPhoneNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _PHONE.sub("[phone]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactPhoneNumbers) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactPhoneNumbers())
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
