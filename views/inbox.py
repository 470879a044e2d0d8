"""“Việc cần xử lý”: the user's own pending work items."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from views import parsing
from views.forms import DelegationForm, attach_errors
from views.helpers import home_url
from views.i18n import label
from workflows import access, clock
from workflows.accounts import people
from workflows.errors import Invalid
from workflows.tasks import page as task_page
from workflows.tasks import reads

bp = Blueprint("inbox", __name__)


@bp.route("/")
def home():
    return redirect(home_url(current_user))


def _delegation_form() -> DelegationForm:
    """Colleagues who share one of the user's roles first (they do the same work), each with their roles."""
    form = DelegationForm()
    mine = set(current_user.roles)
    ordered = sorted(people.colleagues(current_user), key=lambda u: not mine.intersection(u.roles))
    form.delegate.choices = [SelectChoice("", _("— chọn đồng nghiệp —"))] + [
        SelectChoice(u.username, f"{u.full_name} ({', '.join(label(r) for r in u.role_labels)})") for u in ordered]
    return form


def _render(form: DelegationForm, status: int = 200):
    page = reads.inbox(current_user, page=parsing.page_arg())
    returned = reads.returned_items(page.items)
    return render_template("inbox.html", page=page, returned=returned,
                           resubmitted=task_page.resubmitted_items(page.items, returned), form=form,
                           delegations=people.delegations_of(current_user),
                           acting_for=access.delegators(current_user), today=clock.today()), status


@bp.route("/inbox")
@login_required
def index():
    return _render(_delegation_form())


@bp.post("/delegations")
@login_required
def delegate():
    form = _delegation_form()
    if form.validate_on_submit():
        try:
            people.set_delegate(current_user, current_user.id, form.delegate.data, form.starts_on.data,
                                form.ends_on.data)
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            flash(_("Đã lưu ủy quyền. Người được ủy quyền sẽ thấy và xử lý việc của bạn trong thời gian này."),
                  "success")
            return redirect(url_for("inbox.index"))
    return _render(form, 422)


@bp.post("/delegations/<int:delegation_id>/cancel")
@login_required
def cancel_delegation(delegation_id: int):
    people.cancel_delegation(current_user, delegation_id)
    flash(_("Đã hủy ủy quyền."), "info")
    return redirect(url_for("inbox.index"))
