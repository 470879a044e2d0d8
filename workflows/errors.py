"""Domain exceptions, mapped to HTTP statuses once (views/errors.py).

A message is its Vietnamese text; interpolated values are named parameters
(``Conflict("Việc này đang do %(name)s xử lý.", name=…)``), so that the view layer can translate the
message (the msgid) and fill the parameters in (views/i18n.py) without Flask here. ``str(err)`` and
``err.message`` are the Vietnamese text with the parameters filled in; per-field messages may be
``Message`` objects for the same reason. A list parameter is a list of messages joined with spaces.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for extraction (translations/catalog.py) without translating it here."""
    return message


def _filled(msgid: str, params: dict) -> str:
    if not params:
        return msgid
    return msgid % {k: " ".join(v) if isinstance(v, (list, tuple)) else v for k, v in params.items()}


class Message(str):
    """Vietnamese text (a plain ``str`` to every reader) that remembers its msgid and parameters."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        text = super().__new__(cls, _filled(msgid, params))
        text.msgid = msgid
        text.params = params
        return text


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None, **params):
        if isinstance(message, Message) and not params:
            message, params = message.msgid, message.params
        self.message = Message(message, **params)
        self.msgid = message
        self.params = params
        super().__init__(str(self.message))
        self.fields = fields or {}


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422
