"""Administration of the trust roots of digital signatures: the certificates validation trusts, uploaded by an
administrator; adding one checks again the stored PDFs whose signatures waited for it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize

from views.i18n import domain_message
from workflows.errors import N_, Invalid
from workflows.signatures import roots
from workflows.tasks import files
from workflows.tx import transaction

bp = Blueprint("trust", __name__, url_prefix="/admin/trust-roots")


class RootForm(FlaskForm):
    file = FileField(N_("Tệp chứng thư (.cer, .crt, .pem)"), validators=[
        FileRequired(N_("Vui lòng chọn tệp chứng thư để tải lên.")),
        FileSize(roots.MAX_BYTES, message=N_("Tệp quá lớn: chứng thư không quá 64 KB."))])


@bp.before_request
@login_required
def _admins_only():
    if not current_user.has_role("admin"):
        abort(403)


@bp.route("", methods=["GET", "POST"])
def root_list():
    form = RootForm()
    if form.validate_on_submit():
        try:
            with transaction():
                root = roots.add(current_user, form.file.data.read(roots.MAX_BYTES + 1))
                rechecked = files.recheck_awaiting_trust(current_user)
        except Invalid as exc:  # not a certificate, not a CA's, listed already: said at the file box, on the form
            form.file.errors.append(domain_message(exc))
            return render_template("admin/trust_roots.html", form=form, roots=roots.listed()), 422
        flash(_("Đã thêm chứng thư tin cậy “%(subject)s”.", subject=root.subject), "success")
        if rechecked:
            flash(ngettext("Đã kiểm tra lại chữ ký số của %(num)s tệp đang chờ chứng thư tin cậy.",
                           "Đã kiểm tra lại chữ ký số của %(num)s tệp đang chờ chứng thư tin cậy.", rechecked), "info")
        return redirect(url_for("trust.root_list"))
    return render_template("admin/trust_roots.html", form=form, roots=roots.listed()), 422 if form.errors else 200


@bp.post("/<int:root_id>/deactivate")
def root_deactivate(root_id: int):
    with transaction():
        root = roots.deactivate(current_user, root_id)
        rechecked = files.recheck_trusted_by(root.fingerprint, current_user)
    flash(_("Đã ngừng tin cậy chứng thư “%(subject)s”. Các lần kiểm tra trước vẫn được giữ nguyên.",
            subject=root.subject), "info")
    if rechecked:
        flash(ngettext("Đã kiểm tra lại chữ ký số của %(num)s tệp đã hợp lệ theo chứng thư này.",
                       "Đã kiểm tra lại chữ ký số của %(num)s tệp đã hợp lệ theo chứng thư này.", rechecked), "info")
    return redirect(url_for("trust.root_list"))
