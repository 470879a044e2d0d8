"""“Thông báo”: the user's notifications, and the mail outbox for administrators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from views import parsing
from workflows.notify import bell, outbox

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index():
    page = bell.list_for(current_user, page=parsing.page_arg())
    return render_template("notifications/index.html", page=page, unread=bell.unread_count(current_user),
                           mail_on=outbox.mail_enabled())


@bp.post("/notifications/mail")
@login_required
def mail_choice():
    """Each notice by mail as it happens, or one digest a day."""
    digest = request.form.get("digest") == "1"
    bell.set_mail_digest(current_user, digest)
    flash(_("Từ nay bạn nhận một thư tổng hợp mỗi ngày lúc 16:30.") if digest
          else _("Từ nay mỗi thông báo được gửi thư ngay."), "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    note = bell.mark_read(current_user, notification_id)
    return redirect(_local(note.link) or url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    count = bell.mark_all_read(current_user)
    flash(ngettext("Đã đánh dấu %(num)s thông báo là đã đọc.", "Đã đánh dấu %(num)s thông báo là đã đọc.", count)
          if count else _("Không có thông báo nào chưa đọc."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/admin/mail")
@login_required
def mail_queue():
    _admins_only()
    page = outbox.mail_queue(page=parsing.page_arg())
    return render_template("admin/mail.html", page=page, counts=outbox.mail_counts(),
                           mail_enabled=outbox.mail_enabled(), max_attempts=outbox.config("MAIL_MAX_ATTEMPTS"))


@bp.post("/admin/mail/<int:mail_id>/retry")
@login_required
def mail_retry(mail_id: int):
    _admins_only()
    mail = outbox.retry_mail(current_user, mail_id)
    flash(_("Thư gửi %(address)s sẽ được gửi lại ở lượt gửi kế tiếp.", address=mail.to_address), "success")
    return redirect(url_for("notifications.mail_queue"))


@bp.post("/admin/mail/retry-failed")
@login_required
def mail_retry_failed():
    _admins_only()
    count = outbox.retry_failed(current_user)
    flash(_("%(num)s thư lỗi sẽ được gửi lại ở lượt gửi kế tiếp.", num=count) if count
          else _("Không có thư lỗi nào để gửi lại."), "success")
    return redirect(url_for("notifications.mail_queue"))


def _admins_only() -> None:
    if not current_user.has_role("admin"):
        abort(403)


def _local(link: str | None) -> str | None:
    """Only follow links inside this site (never "//host" or "http://…")."""
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None
