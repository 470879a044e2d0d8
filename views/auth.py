"""Log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from workflows import people
from workflows.demo import DEMO_ACCOUNTS

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[
        DataRequired("Vui lòng nhập tên đăng nhập."), Length(max=80)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Vui lòng nhập mật khẩu.")])
    remember = BooleanField("Ghi nhớ đăng nhập")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = people.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append("Tên đăng nhập hoặc mật khẩu không đúng.")
        else:
            login_user(user, remember=form.remember.data)
            flash(f"Xin chào {user.full_name}.", "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("inbox.index"))
    demo = DEMO_ACCOUNTS if current_app.config["SHOW_DEMO_ACCOUNTS"] else None
    return render_template("auth/login.html", form=form, demo_accounts=demo)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))
