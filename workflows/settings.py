"""The product's settings: each one named once, with its default, its type and its environment variable.

``create_app`` reads them from the environment (``from_environment``); the code reads them with ``get`` —
the application's value, or the default outside an application (scripts, pure tests). Flask's own keys
(cookies, the database URI, …) stay in ``app.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context


def _flag(text: str) -> bool:
    return text == "1"


def _megabytes(text: str) -> int:
    return int(text) * 1024 * 1024


def _optional(text: str) -> str | None:
    return text or None


def _lines(text: str) -> str:
    return text.replace("\\n", "\n")  # "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC" in one environment line


@dataclass(frozen=True)
class Setting:
    default: Any
    env: str | None = None  # the environment variable that sets it, if any
    parse: Callable[[str], Any] = str  # how that variable's text is read


SETTINGS: dict[str, Setting] = {
    # who the province's bodies are
    "COORDINATING_AGENCY": Setting("Sở Khoa học và Công nghệ", "COORDINATING_AGENCY"),  # the standing agency
    "ASSIGNING_AUTHORITY": Setting("UBND tỉnh", "ASSIGNING_AUTHORITY"),  # decides on extensions
    # exported reports (NĐ 30/2020 heading and signature): the place on the date line, the body above the
    # coordinating agency (default "UBND tỉnh <place>") and the signer's title
    "REPORT_PLACE": Setting("Thanh Hóa", "REPORT_PLACE"),
    "REPORT_PARENT_AGENCY": Setting(None, "REPORT_PARENT_AGENCY", _optional),
    "REPORT_SIGNER_TITLE": Setting("GIÁM ĐỐC", "REPORT_SIGNER_TITLE", _lines),
    "REPORT_SIGNER_NAME": Setting(None, "REPORT_SIGNER_NAME", _optional),  # printed under the signature
    "REPORT_NUMBER_CODE": Setting(None),  # the code in the report's number; default from the agency's name
    "REPORT_RECIPIENTS": Setting(None),  # "Nơi nhận" lines; default: the assigning authority and the archive
    # the reporting rhythm (workflows.tasks.periods): overrides of the due day per kind of period
    "REPORT_RHYTHM": Setting(None),
    "AGENCY_REPORT_RHYTHM": Setting("monthly"),  # None or "" turns agency reports off
    "ONGOING_REPORT_RHYTHM": Setting("monthly"),  # how often an ongoing task reports
    # deadlines and the dashboard
    "DUE_SOON_DAYS": Setting(3, "DUE_SOON_DAYS", int),  # "sắp đến hạn": due within this many days
    "STUCK_DAYS": Setting(10, "STUCK_DAYS", int),  # "tồn đọng": waiting longer than this at one step
    # documents going out as signed PDF (workflows/signatures/outgoing.py): LibreOffice turns the .docx into PDF;
    # the standing agency's key is a PKCS#12 file (.p12/.pfx) and its password
    "SOFFICE": Setting("soffice", "SOFFICE"),
    # a row of a scanned document read by OCR with a lower confidence (0–100) waits for a person
    "OCR_MIN_CONFIDENCE": Setting(80, "OCR_MIN_CONFIDENCE", int),
    "SIGNING_PKCS12": Setting(None, "SIGNING_PKCS12", _optional),
    "SIGNING_PKCS12_PASSWORD": Setting(None, "SIGNING_PKCS12_PASSWORD", _optional),
    # a PKCS#11 token or HSM instead (production): the vendor's module, the token's label, the key's label, the PIN
    "SIGNING_PKCS11_MODULE": Setting(None, "SIGNING_PKCS11_MODULE", _optional),
    "SIGNING_PKCS11_TOKEN": Setting(None, "SIGNING_PKCS11_TOKEN", _optional),
    "SIGNING_PKCS11_KEY": Setting(None, "SIGNING_PKCS11_KEY", _optional),
    "SIGNING_PKCS11_PIN": Setting(None, "SIGNING_PKCS11_PIN", _optional),
    # files
    "UPLOAD_FOLDER": Setting(None, "UPLOAD_FOLDER"),  # default: instance/uploads (app.py)
    "MAX_UPLOAD_BYTES": Setting(20 * 1024 * 1024, "MAX_UPLOAD_MB", _megabytes),
    # mail
    "MAIL_ENABLED": Setting(False, "MAIL_ENABLED", _flag),
    "MAIL_SERVER": Setting("127.0.0.1", "MAIL_SERVER"),
    "MAIL_PORT": Setting(25, "MAIL_PORT", int),
    "MAIL_USE_TLS": Setting(False, "MAIL_USE_TLS", _flag),  # STARTTLS after connecting (port 587)
    "MAIL_USE_SSL": Setting(False, "MAIL_USE_SSL", _flag),  # TLS from the first byte (port 465)
    "MAIL_CA_FILE": Setting(None, "MAIL_CA_FILE", _optional),  # the province's own CA, when its server's is one
    "MAIL_USERNAME": Setting(None, "MAIL_USERNAME", _optional),
    "MAIL_PASSWORD": Setting(None, "MAIL_PASSWORD", _optional),
    "MAIL_FROM": Setting("theodoi@localhost", "MAIL_FROM"),
    "MAIL_MAX_ATTEMPTS": Setting(6, "MAIL_MAX_ATTEMPTS", int),
    "APP_BASE_URL": Setting("http://127.0.0.1:5000", "APP_BASE_URL"),  # links in mails
    # sign-in and sessions
    "PASSWORD_HASH_METHOD": Setting("scrypt"),
    # sign-in limits (README "Security"; workflows/accounts/signin.py): requests per address and per name, then
    # wrong passwords before growing delays per (name, address), per address and per name from many addresses
    "LOGIN_RATE_LIMIT": Setting("300 per minute", "LOGIN_RATE_LIMIT"),  # per address: a province behind one NAT
    "LOGIN_ACCOUNT_RATE_LIMIT": Setting("10 per minute", "LOGIN_ACCOUNT_RATE_LIMIT"),  # per name typed
    "LOGIN_MAX_FAILURES": Setting(5, "LOGIN_MAX_FAILURES", int),  # per (name, address) in 24 h
    "LOGIN_ADDRESS_MAX_FAILURES": Setting(50, "LOGIN_ADDRESS_MAX_FAILURES", int),  # per address, any names, in 1 h
    "LOGIN_ACCOUNT_MAX_FAILURES": Setting(20, "LOGIN_ACCOUNT_MAX_FAILURES", int),  # per name, many addresses, 24 h
    "LOGIN_DELAY_SECONDS": Setting(30, "LOGIN_DELAY_SECONDS", int),  # the first delay; doubles per wrong password
    "LOGIN_MAX_DELAY_MINUTES": Setting(60, "LOGIN_MAX_DELAY_MINUTES", int),  # the longest delay
    "LOGIN_KNOWN_ADDRESS_DAYS": Setting(30, "LOGIN_KNOWN_ADDRESS_DAYS", int),  # per-name limits spare these
    "LOGIN_THROTTLE_MAX_ROWS": Setting(100_000, "LOGIN_THROTTLE_MAX_ROWS", int),  # bounds the counters' table
    "REMEMBER_DAYS": Setting(14, "REMEMBER_DAYS", int),  # "Ghi nhớ đăng nhập" lasts this long
    "API_TOKEN_DAYS": Setting(90, "API_TOKEN_DAYS", int),  # an API token lasts this long (then a new POST /token)
    "IDLE_TIMEOUT_MINUTES": Setting(30, "IDLE_TIMEOUT_MINUTES", int),  # 0 turns it off
    "TRUST_PROXY_HOPS": Setting(0, "TRUST_PROXY_HOPS", int),  # proxies in front that set X-Forwarded-For
    "RATELIMIT_ENABLED": Setting(True, "RATELIMIT_ENABLED", _flag),
    "RATELIMIT_STORAGE_URI": Setting("memory://", "RATELIMIT_STORAGE_URI"),  # gunicorn.conf.py: redis://…
    # the demo and the logs
    "SHOW_DEMO_ACCOUNTS": Setting(False, "SHOW_DEMO_ACCOUNTS", _flag),
    # compile the templates and parse the process models at start (servers: wsgi.py, `make run`), not on the
    # first request
    "WARM_UP": Setting(False, "WARM_UP", _flag),
    "LOG_FORMAT": Setting("plain", "LOG_FORMAT"),  # json: one JSON object per line (gunicorn.conf.py)
}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting, from its environment variable when set, else its default."""
    values = {}
    for name, setting in SETTINGS.items():
        text = environ.get(setting.env) if setting.env else None
        values[name] = setting.default if text is None else setting.parse(text)
    return values


def get(name: str) -> Any:
    """The application's value of a setting, or its default outside an application."""
    default = SETTINGS[name].default
    return current_app.config.get(name, default) if has_app_context() else default


def due_soon_days() -> int:
    return int(get("DUE_SOON_DAYS"))


def stuck_days() -> int:
    return int(get("STUCK_DAYS"))
