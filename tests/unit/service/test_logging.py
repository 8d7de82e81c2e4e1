import logging

from service.logging_setup import RedactPhoneNumbers


def test_phone_numbers_are_scrubbed_from_log_records() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "send to %s failed: %s", ("+32470123456", "0032 470 12 34 56"), None
    )
    assert RedactPhoneNumbers().filter(record)
    assert record.getMessage() == "send to [phone] failed: [phone]"


def test_ordinary_numbers_are_kept() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "campaign %s has %d answers", ("AB12", 1500), None
    )
    RedactPhoneNumbers().filter(record)
    assert record.getMessage() == "campaign AB12 has 1500 answers"
