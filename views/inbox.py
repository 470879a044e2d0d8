"""“Việc cần xử lý”: the user's own pending work items."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workflows import queries

bp = Blueprint("inbox", __name__)


@bp.route("/")
def home():
    return redirect(url_for("inbox.index"))


@bp.route("/inbox")
@login_required
def index():
    page = queries.inbox(current_user, page=request.args.get("page", 1, type=int))
    return render_template("inbox.html", page=page)
