"""SQLAlchemy models only: no business rules beyond simple properties."""

from models.db import MAX_ID, db, login_manager, migrate
from models.notifications import Delegation, Notification, OutboxMail, Timer
from models.people import OVERSIGHT_ROLES, ROLE_LABELS, ROLES, Agency, AgencyGroup, AgencyGroupMember, ApiToken, User
from models.preferences import ExportPreference, SiteSetting
from models.process import ProcessInstance, ProcessModel, WorkItem
from models.records import Attachment, AuditEvent, SignatureCheck, TrustRoot
from models.registers import (
    AgencyAlias,
    AgencyReview,
    DeadlineAdjustment,
    Holiday,
    ImportBatch,
    Indicator,
    IndicatorValue,
)
from models.tasks import OUTPUT_TYPES, Directive, Task, TaskExplanation, task_collaborators

__all__ = [
    "MAX_ID", "OUTPUT_TYPES", "OVERSIGHT_ROLES", "ROLES", "ROLE_LABELS",
    "Agency", "AgencyAlias", "AgencyGroup", "AgencyGroupMember", "AgencyReview", "ApiToken", "Attachment",
    "AuditEvent", "DeadlineAdjustment",
    "Delegation", "Directive", "ExportPreference",
    "Holiday", "ImportBatch", "Indicator", "IndicatorValue", "Notification", "OutboxMail", "ProcessInstance",
    "ProcessModel", "SignatureCheck", "SiteSetting", "Task", "TaskExplanation",
    "Timer", "TrustRoot", "User", "WorkItem",
    "db", "login_manager", "migrate", "task_collaborators",
]
