"""Operating knobs of the background work, read from ``VISES_*`` variables with safe defaults.

| variable | meaning | default |
| --- | --- | --- |
| ``VISES_TWILIO_MPS`` | messages a second Twilio lets our sender (number or Messaging Service) send | 1 |
| ``VISES_TELEGRAM_MPS`` | messages a second for the whole Telegram bot (Telegram's limit; paid broadcasts allow up to 1000) | 30 |
| ``VISES_SENDING_LEASE_SECONDS`` | after this, a message still "sending" is presumed abandoned and reconciled | 300 |
| ``VISES_SWEEP_SECONDS`` | how often the sweep looks for lost work | 120 |
| ``VISES_REMINDER_SECONDS`` | how often reminders are planned | 300 |
| ``VISES_EXPIRY_SECONDS`` | how often idle conversations are expired | 300 |
"""

from __future__ import annotations

from dataclasses import dataclass

from service.settings import ConfigError, Settings


@dataclass(frozen=True)
class Tuning:
    twilio_mps: float = 1.0
    telegram_mps: float = 30.0
    sending_lease_seconds: float = 300.0
    sweep_seconds: int = 120
    reminder_seconds: int = 300
    expiry_seconds: int = 300


_VARIABLES = {
    "twilio_mps": "VISES_TWILIO_MPS",
    "telegram_mps": "VISES_TELEGRAM_MPS",
    "sending_lease_seconds": "VISES_SENDING_LEASE_SECONDS",
    "sweep_seconds": "VISES_SWEEP_SECONDS",
    "reminder_seconds": "VISES_REMINDER_SECONDS",
    "expiry_seconds": "VISES_EXPIRY_SECONDS",
}


def tuning(settings: Settings) -> Tuning:
    """The knobs for this process; a value that is set but not a positive number is a ConfigError."""
    defaults = Tuning()
    values: dict[str, float | int] = {}
    for field_name, variable in _VARIABLES.items():
        raw = settings.extra.get(variable, "").strip()
        if not raw:
            continue
        default = getattr(defaults, field_name)
        try:
            value = type(default)(float(raw)) if isinstance(default, int) else float(raw)
        except ValueError:
            raise ConfigError(f"{variable}: {raw!r} is not a number") from None
        if value <= 0:
            raise ConfigError(f"{variable}: must be positive")
        values[field_name] = value
    return Tuning(**values)  # type: ignore[arg-type]
