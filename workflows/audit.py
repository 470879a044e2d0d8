"""The one writer of audit events: the append-only history of who did what, when, to which task.

Events are plain INSERTs in the caller's transaction, sent at once without flushing the session (they refer
to rows already written), never read back or changed by it; a rolled-back use case leaves none.
``ACTION_LABELS`` names each action for the history and the exports.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from models import AuditEvent, Task, User, WorkItem, db
from workflows import clock

DECISION_LABELS = {"submit": "Gửi", "approve": "Đồng ý", "return": "Trả lại"}
ACTION_LABELS = {
    "create": "Giao nhiệm vụ", "submit": "Hoàn thành bước", "approve": "Đồng ý",
    "return": "Trả lại", "claim": "Nhận xử lý", "release": "Trả về hàng chờ",
    "adjust": "Điều chỉnh thời hạn", "calendar": "Thời hạn theo lịch nghỉ lễ mới",
    "rename": "Đổi tên nhiệm vụ", "remind": "Nhắc hạn", "escalate": "Báo quá hạn",
    "extension_request": "Đề nghị gia hạn", "reassign": "Giao lại việc", "delegate": "Ủy quyền",
    "delegate_cancel": "Hủy ủy quyền",
    "comment": "Trao đổi", "migrate": "Chuyển phiên bản quy trình", "deploy": "Triển khai phiên bản quy trình",
    "explain": "Giải trình", "urged": "Đôn đốc",
    # people and agencies (workflows/accounts/admin_people.py, people_import.py, tasks/leavers.py)
    "user_create": "Tạo tài khoản", "user_update": "Sửa tài khoản", "user_deactivate": "Ngừng tài khoản",
    "user_reactivate": "Mở lại tài khoản", "password_reset": "Cấp mật khẩu tạm thời",
    "change_password": "Đổi mật khẩu", "user_import": "Nhập tài khoản từ tệp", "agency_create": "Thêm đơn vị",
    "agency_update": "Sửa đơn vị", "agency_rename": "Đổi tên đơn vị", "agency_deactivate": "Ngừng hoạt động đơn vị",
    "agency_reactivate": "Mở lại đơn vị",
    "reports_since": "Đặt ngày bắt đầu báo cáo định kỳ",
    # digital signatures (workflows/signatures)
    "signature_check": "Kiểm tra chữ ký số", "trust_root_add": "Thêm chứng thư tin cậy",
    "trust_root_remove": "Ngừng tin cậy chứng thư",
    # agency groups and the tasks they owe (workflows/accounts/groups.py, workflows/tasks/fanout.py)
    "group_created": "Tạo nhóm đơn vị", "group_member_joined": "Thêm đơn vị vào nhóm",
    "group_member_left": "Đơn vị rời nhóm", "group_member_added": "Giao thêm cho đơn vị",
    "group_member_removed": "Rút nhiệm vụ của đơn vị", "withdrawn": "Rút nhiệm vụ",
    "agency_merge": "Sáp nhập đơn vị", "agency_moved": "Chuyển sang đơn vị kế thừa",
    "closed": "Kết thúc nhiệm vụ (không hoàn thành)", "agency_end": "Chia tách, giải thể đơn vị",
}


def record(action: str, actor: User | None, task: Task | None = None, work_item: WorkItem | None = None, *,
           from_step: str | None = None, to_step: str | None = None, comment: str | None = None,
           data: dict[str, Any] | None = None, on_behalf_of: User | None = None) -> int:
    """Append one event (``task`` None for an event that concerns no task: a deployment, a delegation);
    returns its id."""
    return db.session.connection().execute(_INSERT, dict(
        at=clock.now(), actor_id=actor.id if actor else None, agency_id=actor.agency_id if actor else None,
        task_id=task.id if task else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
        work_item_id=work_item.id if work_item else None, action=action,
        from_step=from_step, to_step=to_step, comment=comment, data=data or {})).scalar_one()


_INSERT = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id)  # (built once: see workflows.rows)
