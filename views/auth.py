"""Log in and out; sessions bound to the user's session secret, idle timeout and login rate limits (README,
"Security")."""

from __future__ import annotations

import calendar
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from demo.seed import DEMO_ACCOUNTS
from models import login_manager
from views import form_messages
from views.helpers import home_url
from workflows import clock
from workflows.accounts import people, signin
from workflows.errors import N_, Invalid

bp = Blueprint("auth", __name__)

IDLE_MESSAGE = N_("Phiên làm việc đã hết hạn do không hoạt động. Vui lòng đăng nhập lại.")
RATE_LIMIT_MESSAGE = N_("Bạn đã thử đăng nhập quá nhiều lần trong thời gian ngắn. Vui lòng đợi một phút rồi thử lại.")
LIMITED_ENDPOINTS = ("auth.login", "api.token")  # POST only


class LoginForm(FlaskForm):
    username = StringField(N_("Tên đăng nhập"), validators=[
        DataRequired(N_("Vui lòng nhập tên đăng nhập.")), Length(max=80, message=N_("Tên đăng nhập tối đa 80 ký tự."))])
    password = PasswordField(N_("Mật khẩu"), validators=[
        DataRequired(N_("Vui lòng nhập mật khẩu.")), Length(max=200, message=N_("Mật khẩu tối đa 200 ký tự."))])
    remember = BooleanField(N_("Ghi nhớ đăng nhập"))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):  # (a line break: a header refused, a 500)
        return None
    return target


@login_manager.user_loader  # the session's id carries the user's secret: a rotated secret signs it out
def _load_user(session_id: str):
    return people.session_user(session_id)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = signin.attempt(form.username.data, form.password.data, request.remote_addr)
        if result.user is None:
            form.password.errors.append(_(result.msgid, **result.params) if result.params else _(result.message))
            status = 429 if result.slowed_until else 200  # the API's answer too (people.authenticate)
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on every login (no fixation)
            if lang:  # the interface language chosen before signing in stays
                session["lang"] = lang
            login_user(result.user, remember=form.remember.data)
            _touch(force=True)
            flash(_("Xin chào %(name)s.", name=result.user.full_name), "success")
            return redirect(_safe_next(request.args.get("next")) or home_url(result.user))
    demo = DEMO_ACCOUNTS if current_app.config["SHOW_DEMO_ACCOUNTS"] else None
    return render_template("auth/login.html", form=form, demo_accounts=demo), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Signed out, whether the session was still there or had already ended (an old page's button). The
    CSRF check (app.py exempts this view from the global one) guards a live session only: with none left,
    there is nothing to protect, and "Yêu cầu không hợp lệ" would be the wrong answer."""
    if current_user.is_authenticated:
        current_app.extensions["csrf"].protect()
        people.sign_out(current_user)  # a new session secret: this session and every copy of it end
    logout_user()
    session.pop("last_seen", None)
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/session/status")
def session_status():
    """For static/keep.js, before it sends a form someone typed into: is this browser still signed in? Each
    call also keeps the session alive (someone typing is not idle), and hands the page a fresh CSRF token:
    after signing in again in another tab, the token the page was served with belongs to the old session."""
    if not current_user.is_authenticated:
        return jsonify({"signed_in": False}), 200, {"Cache-Control": "no-store"}
    return jsonify({"signed_in": True, "csrf_token": generate_csrf()}), 200, {"Cache-Control": "no-store"}


# --- idle timeout -------------------------------------------------------------------------------

def _now_seconds() -> int:
    return calendar.timegm(clock.now().timetuple())


@bp.before_app_request
def _note_address():
    """The client's address (after ProxyFix), for the sign-in use case of this request."""
    signin.note_request_address(request.remote_addr)


def _touch(force: bool = False) -> None:
    """Remember when the signed-in user was last seen (rewrite the cookie at most once a minute)."""
    now = _now_seconds()
    if force or now - session.get("last_seen", 0) >= 60:
        session["last_seen"] = now


@bp.before_app_request
def _idle_timeout():
    """Log out a web session idle longer than IDLE_TIMEOUT_MINUTES; bearer-token API calls are not sessions."""
    if request.endpoint in (None, "static") or request.path.startswith("/api/"):
        return None
    if not current_user.is_authenticated:
        return None
    last_seen = session.get("last_seen")
    limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    if isinstance(last_seen, int) and limit > 0 and _now_seconds() - last_seen > limit:
        logout_user()
        session.pop("last_seen", None)
        if request.endpoint == "auth.session_status":
            return None  # static/keep.js asks: it gets {"signed_in": false}, not a redirect
        flash(_(IDLE_MESSAGE), "warning")
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=_safe_next(target)))
    _touch()
    return None


# --- input hygiene ------------------------------------------------------------------------------

NUL_MESSAGE = N_("Dữ liệu gửi lên chứa ký tự không hợp lệ (ký tự NUL). Vui lòng nhập lại.")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@bp.before_app_request
def _refuse_nul_bytes():
    """NUL characters are never meaningful text and PostgreSQL refuses them: refuse them up front (422)."""
    texts = [*request.args.values(), *request.args.keys()]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        texts += [*request.form.keys(), *(v for _k, v in request.form.items(multi=True))]
        if request.is_json:
            texts.append(request.get_json(silent=True))
    if any(_has_nul(t) for t in texts):
        raise Invalid(NUL_MESSAGE)
    return None


# --- rate limits ----------------------------------------------------------------------------------

@bp.app_errorhandler(429)
def _too_many_requests(exc):
    if request.path.startswith("/api/"):
        response = current_app.make_response((jsonify({"error": _(RATE_LIMIT_MESSAGE)}), 429))
    else:
        response = current_app.make_response((render_template("errors/429.html", message=_(RATE_LIMIT_MESSAGE)), 429))
    limit = getattr(exc, "limit", None)  # (Flask-Limiter's: the window it counts over is when to try again at latest)
    if limit is not None:
        response.headers["Retry-After"] = str(int(limit.limit.get_expiry()))
    return response


def _typed_username() -> str:
    """The name a login POST carries: the form's field, or the API's JSON."""
    name = request.form.get("username")
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return name if isinstance(name, str) else ""


def _address_limit_key() -> str:
    return signin.client_key(get_remote_address())


def _name_limit_key() -> str:
    return signin.name_key(_typed_username())


def _spared_by_name_limit() -> bool:
    """Someone elsewhere can run up a name's budget: it never refuses an address the person signed in from."""
    name = _typed_username()
    return not name.strip() or signin.known_address(name, request.remote_addr)


def init_security(app: Flask) -> Limiter:
    """Vietnamese form messages, the remember-me period, and one limiter per app (RATELIMIT_ENABLED,
    RATELIMIT_STORAGE_URI) limiting POSTs to the login endpoints per address and per name typed."""
    form_messages.install()
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_DAYS"])
    hops = app.config["TRUST_PROXY_HOPS"]
    if hops:  # behind a reverse proxy: the client's address (for the limits) comes from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    # Redis unreachable: each worker counts on its own for a while rather than every sign-in failing
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter = Limiter(key_func=get_remote_address, app=app)
    app.extensions["login_limiter"] = limiter  # the limits hold only a weak reference to it
    # one budget per address and one per name, shared by the form and the API: trying one never frees the other
    per_address = limiter.shared_limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], "login-address",
                                       methods=["POST"], key_func=_address_limit_key)
    per_name = limiter.shared_limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], "login-name",
                                    methods=["POST"], key_func=_name_limit_key, exempt_when=_spared_by_name_limit)
    for endpoint in LIMITED_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = per_name(per_address(view))
    return limiter
