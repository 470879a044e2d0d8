"""The interface language: Vietnamese (the default, the msgids themselves) or English for partners.

The msgid of every message is its Vietnamese text, so Vietnamese output is the source text unchanged and
only ``translations/en`` exists. The language is chosen with ``?lang=en`` / ``?lang=vi`` and kept in the
session (never taken from Accept-Language: officials' browsers are often set to English). Use cases in
``workflows/`` stay free of Flask: their ``DomainError`` carries the Vietnamese msgid and its parameters,
and ``domain_message`` translates it here, at the edge.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Flask, g, request, session, url_for
from flask_babel import Babel, get_locale, get_translations
from markupsafe import Markup

from models import OUTPUT_TYPES, ROLE_LABELS
from workflows.accounts.admin_people import AGENCY_KINDS
from workflows.audit import ACTION_LABELS, DECISION_LABELS
from workflows.errors import DomainError, Message
from workflows.process.svg import LEGEND as DIAGRAM_LEGEND
from workflows.signatures.check import LABELS as SIGNATURE_LABELS
from workflows.tasks import periods
from workflows.tasks.status import STATUS_LABELS

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
babel = Babel()

# UI vocabulary kept in Python constants (outside views/ and templates/): their values are msgids too;
# translations/catalog.py adds them to the catalogue; templates translate them at render time (tr_label).
VOCABULARY = (STATUS_LABELS, OUTPUT_TYPES, ROLE_LABELS, DECISION_LABELS, ACTION_LABELS, dict(DIAGRAM_LEGEND),
              periods.KIND_LABELS, periods.BUCKET_LABELS, {"": periods.NOT_CREATED_LABEL}, SIGNATURE_LABELS,
              AGENCY_KINDS)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
QUARTERS = {"I": 1, "II": 2, "III": 3, "IV": 4}
_PERIODS = (
    (re.compile(r"^Tháng (\d{1,2})/(\d{4})$"), lambda m: f"{MONTHS[int(m[1]) - 1]} {m[2]}"),
    (re.compile(r"^Quý (I|II|III|IV)/(\d{4})$"), lambda m: f"Q{QUARTERS[m[1]]} {m[2]}"),
    (re.compile(r"^6 tháng đầu năm (\d{4})$"), lambda m: f"First half of {m[1]}"),
    (re.compile(r"^6 tháng cuối năm (\d{4})$"), lambda m: f"Second half of {m[1]}"),
    (re.compile(r"^Năm (\d{4})$"), lambda m: f"Year {m[1]}"),
)


def _query_choice() -> str | None:
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else None


def select_locale() -> str:
    lang = _query_choice() or session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def translate(text):
    """A message in the interface language: a ``Message`` with its parameters (message parameters and
    lists of messages are translated too, data is not), a plain msgid, or data (returned unchanged)."""
    if isinstance(text, Message):
        params = {key: _translate_param(value) for key, value in text.params.items()}
        translated = _translations().ugettext(text.msgid)
        return translated % params if params else translated
    if isinstance(text, str) and text and not isinstance(text, Markup):
        return _translations().ugettext(text)
    return text


def _translate_param(value):
    if isinstance(value, (list, tuple)):
        return " ".join(str(translate(v)) for v in value)
    return translate(value) if isinstance(value, Message) else value


def domain_message(exc: DomainError) -> str:
    """The use case's message in the interface language."""
    return translate(exc.message)


def field_messages(exc: DomainError) -> dict[str, str]:
    """The per-field messages of a use case's error, in the interface language."""
    return {name: translate(message) for name, message in exc.fields.items()}


def label(value):
    """A vocabulary label (status, role, output type, decision, action), a form's label, hint or error
    (their msgids) in the interface language; other text (data) comes back unchanged."""
    if value is None:
        return ""
    return translate(value)


def period_label(text: str) -> str:
    """A reporting period's label (“Tháng 03/2026”, “Quý I/2026”, …) in the interface language."""
    if not text or current_language() != "en":
        return text
    for pattern, english in _PERIODS:
        match = pattern.match(text)
        if match:
            return english(match)
    return text


def lang_switch_url(lang: str) -> str:
    """This page in ``lang``. A page shown after a POST (a form with errors) cannot be repeated: its address
    is used when it also answers GET (e.g. /login), else the inbox. The address is built from the route, never
    copied from the request: "/\\evil.example/x", a 404, would have made the link leave the site. A page no
    route answers gets a link to its own address ("?lang=en")."""
    rule = request.url_rule
    if request.method != "GET" and (rule is None or "GET" not in (rule.methods or ())):
        return url_for("inbox.index", lang=lang)
    path = url_for(request.endpoint, **(request.view_args or {})) if rule is not None else ""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] if request.method == "GET" else []
    return f"{path}?{urlencode([*kept, ('lang', lang)])}"


def _translations():
    """This request's catalogue, looked up once: a page calls gettext a few hundred times, and Flask-Babel's
    own lookup (context, domain, locale) per call was a fifth of the inbox's time."""
    try:
        return g._translations
    except AttributeError:
        g._translations = get_translations()
        return g._translations


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n), newstyle=True)

    @app.before_request
    def _remember_language():
        lang = _query_choice()
        if lang and not request.path.startswith("/api/") and session.get("lang") != lang:
            session["lang"] = lang

    app.add_template_filter(label, "tr_label")
    app.add_template_filter(period_label)

    @app.context_processor
    def _language():
        return {"current_lang": current_language(), "lang_switch_url": lang_switch_url}
