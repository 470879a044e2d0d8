"""Notifications and the mail outbox: who is told, mail through a real SMTP server, retries while
the server is down, digests, and the pages (the bell, the list, the administrators' mail queue)."""

from __future__ import annotations

import email
import socket
from datetime import date, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import delete, func, select

from models import Agency, Notification, OutboxMail, db
from tests.conftest import COLLAB_A, LEAD, act, csrf_from, item_at, new_task, open_items, user
from workflows import clock
from workflows.accounts import people
from workflows.errors import Conflict, NotAllowed, NotFound
from workflows.notify import bell, delivery, events, outbox
from workflows.tasks import work
from workflows.tx import transaction

BASE_URL = "https://theodoi.tinh.gov.vn"
MAIL_KEYS = ("MAIL_ENABLED", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_CA_FILE",
             "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM", "MAIL_MAX_ATTEMPTS", "APP_BASE_URL")


# ---------------------------------------------------------------- a real SMTP server on localhost

class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("khongco@"):
            return "550 5.1.1 Dia chi khong ton tai"
        if address.startswith("day@"):
            return "452 4.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """Reserved port first, server started on demand, so tests can run with the server down."""

    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self, **smtp_options) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **smtp_options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.mailbox.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def mail_on(app, smtp_server):
    """Mail enabled towards ``smtp_server`` (started or not); the app's settings restored afterwards."""
    saved = {k: app.config[k] for k in MAIL_KEYS if k in app.config}
    app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False,
                      MAIL_USERNAME=None, MAIL_PASSWORD=None, MAIL_FROM="theodoi@tinh.gov.vn",
                      MAIL_MAX_ATTEMPTS=6, APP_BASE_URL=BASE_URL + "/")
    yield app.config
    for key in MAIL_KEYS:
        if key in saved:
            app.config[key] = saved[key]
        else:
            app.config.pop(key, None)


def with_email(*usernames: str, digest: bool = False) -> None:
    for name in usernames:
        u = user(name)
        u.email, u.email_digest = f"{name}@tinh.gov.vn", digest
    db.session.commit()


def forget_notifications() -> None:
    """Start from no notification and no mail, whatever the use cases that made the test data sent."""
    db.session.execute(delete(OutboxMail))
    db.session.execute(delete(Notification))
    db.session.commit()


def notes_of(username: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user(username).id)
                                   .order_by(Notification.id)))


def mails() -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- who is told

def test_notify_adds_one_notification_per_distinct_active_user(world):
    world["officer2"].active = False
    db.session.commit()
    with transaction():
        created = delivery.notify([world["head"], world["head"], world["officer2"], None, world["officer"]],
                                "reminder", "Nhắc   việc\nmới", body="Nội dung", link="/tasks/1")
    assert [n.user.username for n in created] == ["head", "officer"]
    assert created[0].title == "Nhắc việc mới"  # one line: it is also a mail subject
    assert count(OutboxMail) == 0  # mail is off by default
    with pytest.raises(ValueError):
        delivery.notify([world["head"]], "gossip", "?")


def test_work_item_created_tells_the_agency_queue_then_the_claimer(world):
    task = new_task(world)
    forget_notifications()
    with transaction():
        events.work_item_created(item_at(task, "assign"))
    [note] = notes_of("head")
    assert note.kind == "new_item" and note.task_id == task.id and note.link == f"/tasks/{task.id}"
    assert note.title == f"Việc mới: Phân công chuyên viên — {task.code} {task.title}"
    assert "Thời hạn: 30/06/2026" in note.body and "Đơn vị: Sở Công Thương" in note.body
    assert count(Notification) == 1  # not the heads of other agencies

    act(world, task, "assign")  # assigned to "officer": the drafting item is claimed by them
    forget_notifications()
    with transaction():
        events.work_item_created(item_at(task, "draft"))
    assert [n.user.username for n in db.session.scalars(select(Notification))] == ["officer"]

    draft = item_at(task, "draft")
    draft.claimed_by = None
    db.session.commit()
    assert [u.username for u in delivery.recipients_for_item(draft)] == ["officer", "officer2"]


def test_a_queue_is_told_by_the_same_rule_as_recipients_for_item(world, mail_on):
    """An unclaimed item's holders are told by one INSERT … SELECT, not by loading the agency's people: it picks
    exactly ``recipients_for_item`` — the active holders of the role in the item's agency, whatever other roles
    they hold — but the one who sent the file back, and mails those who take mail at once."""
    lead = user("officer").agency
    for username, roles, active in (("both", ["agency_head", "officer"], True), ("gone", ["officer"], False),
                                    ("head_only", ["agency_head"], True)):
        people.create_user(username, "mat-khau-1", lead.name, roles, full_name=username).active = active
    people.create_user("elsewhere", "mat-khau-1", COLLAB_A, ["officer"], full_name="elsewhere")
    db.session.commit()
    with_email("officer", "both")
    with_email("officer2", digest=True)
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    draft = item_at(task, "draft")
    draft.claimed_by = None
    db.session.commit()
    expected = [u.username for u in delivery.recipients_for_item(draft)]
    assert expected == ["officer", "officer2", "both"]

    forget_notifications()
    with transaction():
        told = events.work_item_created(item_at(task, "draft"))
    assert [n.user.username for n in told] == expected == [n.user.username for n in notes_of_all()]
    assert [(n.user.username, n.emailed) for n in told] == [("officer", True), ("officer2", False), ("both", True)]
    assert sorted(m.to_address for m in mails()) == ["both@tinh.gov.vn", "officer@tinh.gov.vn"]

    forget_notifications()
    with transaction():
        told = events.item_returned([item_at(task, "draft")], "Lãnh đạo đơn vị ký duyệt", "Lý do", user("officer"))
    assert [n.user.username for n in told] == ["officer2", "both"]


def test_a_stand_in_reads_for_whom_the_work_comes(world, mail_on):
    # the colleague standing in got "Việc mới: Xây dựng dự thảo" word for word as the holder did, and could not tell
    # why a file of someone else came to them
    with_email("officer", "officer2")
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    draft = item_at(task, "draft")
    assert draft.claimed_by.username == "officer"
    people.set_delegate(user("officer"), user("officer").id, "officer2", clock.today(), clock.today())
    forget_notifications()
    with transaction():
        told = events.work_item_created(draft)
    own, stand_in = notes_of_all()
    assert [n.body for n in told] == [own.body, stand_in.body]
    assert stand_in.user.username == "officer2" and stand_in.title == own.title
    assert stand_in.body == "Bạn nhận việc này vì đang làm thay Ông/Bà officer.\n" + own.body
    assert own.body.startswith("Nhiệm vụ: ") and "làm thay" not in own.body
    mail_own, mail_stand_in = sorted(mails(), key=lambda m: m.user_id)
    assert mail_stand_in.body == mail_own.body.replace(own.body, stand_in.body)
    assert mail_stand_in.body.startswith(f"{own.title}\n\nBạn nhận việc này vì đang làm thay Ông/Bà officer.\n")


def notes_of_all() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.user_id)))


def test_item_returned_carries_the_reason_to_the_new_holder(world):
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion", "finalise"):
        act(world, task, step)
    act(world, task, "signoff", "return", "Thiếu phần kinh phí.")
    forget_notifications()
    finalise = item_at(task, "finalise")
    with transaction():
        events.item_returned([finalise], "Lãnh đạo đơn vị ký duyệt", "Thiếu phần kinh phí.", world["head"])
    [note] = notes_of("officer")
    assert note.kind == "returned"
    assert note.title.startswith("Hồ sơ bị trả lại: Hoàn thiện dự thảo — ") and note.title.endswith(
        "Lý do: Thiếu phần kinh phí.")
    assert f"Người trả lại: Ông/Bà head ({LEAD})" in note.body and "Lý do: Thiếu phần kinh phí." in note.body
    # whoever returned the file is not told about their own return
    with transaction():
        told = events.item_returned([finalise], "Lãnh đạo đơn vị ký duyệt", "Lý do", world["officer"])
    # (told: the head who signed since the finalise step's last pass — not the officer who "returned" it here)
    assert [n.user.username for n in told] == ["head"]


def test_reminder_and_escalation_reach_holders_heads_and_coordinators(world, frozen):
    task = new_task(world, collaborators=())
    forget_notifications()
    items = [item_at(task, "assign")]
    with transaction():
        reminded = events.reminder(task, items)
        frozen.advance(days=130)  # 09/07/2026: nine days late
        to_heads = events.escalation(task, items, "agency_head")
        to_coordinators = events.escalation(task, items, "coordinator")
        to_holders = events.escalation(task, items, "holder")
    assert [n.user.username for n in reminded] == ["head"]
    assert reminded[0].title == f"Sắp đến hạn (30/06/2026): {task.code} {task.title}"
    assert [n.user.username for n in to_heads] == ["head"]
    assert sorted(n.user.username for n in to_coordinators) == ["coord", "x_coord"]
    assert [n.user.username for n in to_holders] == ["head"]
    assert to_heads[0].title == f"Quá hạn: {task.code} {task.title}"
    assert "đã quá 9 ngày" in to_heads[0].body and "Phân công chuyên viên — Sở Công Thương" in to_heads[0].body
    assert "Đề nghị Sở Công Thương ghi giải trình" in to_heads[0].body  # the lead holds it: the lead explains
    with pytest.raises(ValueError):
        events.escalation(task, items, "minister")


def test_the_officer_holding_a_late_draft_is_told_with_the_head_and_the_coordinators_read_what_was_asked(world,
                                                                                                       frozen):
    """An outside check: the first "Quá hạn" went to the head only, asking for an explanation the officer holding
    the draft writes, who heard nothing; the coordinators' copy asked them for it as if they were the lead agency.
    A reminder on the day itself said "Sắp đến hạn"."""
    task = new_task(world, collaborators=(), due=date(2026, 3, 2))
    act(world, task, "assign")
    forget_notifications()
    frozen.advance(days=1)  # 02/03
    with transaction():
        [today] = events.reminder(task, [item_at(task, "draft")])
    assert today.title == f"Đến hạn hôm nay (02/03/2026): {task.code} {task.title}"
    frozen.advance(days=2)  # 04/03: two days late
    with transaction():
        first = events.escalation(task, [item_at(task, "draft")], "agency_head")
        later = events.escalation(task, [item_at(task, "draft")], "coordinator")
    assert sorted(n.user.username for n in first) == ["head", "officer"]
    assert all("Đề nghị Sở Công Thương ghi giải trình" in n.body for n in first)
    assert sorted(n.user.username for n in later) == ["coord", "x_coord"]
    assert all("Đề nghị" not in n.body and "Sở Công Thương đã được đề nghị ghi giải trình" in n.body for n in later)
    assert later[0].link == f"/tasks/{task.id}#giai-trinh"  # where the explanation is read


def test_an_escalation_of_a_file_waiting_at_appraisal_asks_the_appraiser_to_act_not_the_lead_to_explain(world):
    """Overdue while the appraising agency holds the file: its head was told "Đề nghị Sở Công Thương ghi giải
    trình" — another agency's duty, for a delay that is not the lead's. He is asked to finish his step; the link
    opens the task, not the explanation box he may not fill in."""
    task = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise", "signoff"):
        act(world, task, step)
    forget_notifications()
    with transaction():
        notes = events.escalation(task, [item_at(task, "appraise")], "agency_head")
    assert {(n.user.agency.name, n.user.username) for n in notes} == {("Sở Tư pháp", "justice"),
                                                                      ("Sở Tư pháp", "justice_head")}
    for note in notes:
        assert "ghi giải trình" not in note.body and "Hồ sơ đang chờ Sở Tư pháp xử lý" in note.body
        assert note.link == f"/tasks/{task.id}"


def test_extension_decisions_go_to_the_requester_and_the_heads_of_the_lead_agency(world):
    """An outside check: the approval said the requester's own reason as its "Lý do", left out the document that
    granted it, and the lead agency's head was not told at all."""
    task = new_task(world, collaborators=())
    forget_notifications()
    with transaction():
        yes = events.extension_decided(task, True, date(2026, 7, 15), world["officer"], asked_why="Chờ ý kiến Bộ.",
                                       document="Công văn số 123/UBND-KTTC ngày 10/06/2026")
        no = events.extension_decided(task, False, None, world["officer"], asked_why="Chờ ý kiến Bộ.",
                                      decided_why="Không có căn cứ.", decider=world["coord"])
    assert {n.user.username for n in yes} == {n.user.username for n in no} == {"officer", "head"}
    yes, no = yes[0], no[0]
    assert yes.kind == no.kind == "extension"
    assert yes.title == f"Gia hạn được chấp thuận: {task.code} {task.title} — hạn mới 15/07/2026"
    assert "Văn bản đồng ý gia hạn: Công văn số 123/UBND-KTTC ngày 10/06/2026" in yes.body
    assert "Lý do đã đề nghị: Chờ ý kiến Bộ." in yes.body and "Ý kiến của" not in yes.body
    assert no.title.startswith("Đề nghị gia hạn không được chấp thuận")
    assert "Thời hạn giữ nguyên: 30/06/2026" in no.body  # refused by the support team at review: said so
    assert "Ý kiến của Ông/Bà coord (Sở Khoa học và Công nghệ): Không có căn cứ." in no.body
    assert count(Notification) == 4


def test_a_long_task_title_is_cut_in_the_title_but_whole_in_the_body(world):
    task = new_task(world, collaborators=(), title="Xây dựng đề án " * 60)
    forget_notifications()
    with transaction():
        [note] = events.work_item_created(item_at(task, "assign"))
    assert len(note.title) <= 500 and note.title.endswith("…")
    assert task.title.strip() in note.body


# ---------------------------------------------------------------- reading and marking

def test_unread_count_list_and_marking_are_per_user(world):
    with transaction():
        for i in range(30):
            delivery.notify([world["head"]], "reminder", f"Thông báo {i:02d}")
        [other] = delivery.notify([world["officer"]], "reminder", "Của người khác")
    assert bell.unread_count(world["head"]) == 30
    first, second = bell.list_for(world["head"], 1), bell.list_for(world["head"], 2)
    assert (first.total, len(first.items), len(second.items)) == (30, 25, 5)
    assert first.items[0].title == "Thông báo 29"  # newest first
    note = bell.mark_read(world["head"], first.items[0].id)
    assert note.read_at is not None and bell.unread_count(world["head"]) == 29
    with pytest.raises(NotFound):
        bell.mark_read(world["head"], other.id)
    with pytest.raises(NotFound):
        bell.mark_read(world["head"], 999999)
    assert bell.mark_all_read(world["head"]) == 29
    assert bell.unread_count(world["head"]) == 0 and bell.unread_count(world["officer"]) == 1


# ---------------------------------------------------------------- mail

def test_mail_arrives_with_utf8_subject_body_and_absolute_link(world, mail_on, smtp_server):
    smtp_server.start()
    task = new_task(world, collaborators=())
    with_email("head")
    forget_notifications()
    with transaction():
        [note] = events.work_item_created(item_at(task, "assign"))
    [mail] = mails()
    assert (mail.status, mail.to_address, mail.subject) == ("pending", "head@tinh.gov.vn", note.title)
    assert note.emailed is True
    assert outbox.send_pending() == {"sent": 1, "failed": 0, "retried": 0}
    [message] = smtp_server.messages
    assert message["Subject"] == (
        f"Việc mới: Phân công chuyên viên — {task.code} Xây dựng Đề án chuyển đổi số ngành công thương")
    assert (message["From"], message["To"]) == ("theodoi@tinh.gov.vn", "head@tinh.gov.vn")
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Bước cần xử lý: Phân công chuyên viên" in body and "Thời hạn: 30/06/2026" in body
    assert f"Xem chi tiết: {BASE_URL}/tasks/{task.id}" in body
    db.session.refresh(mail)
    assert mail.status == "sent" and mail.sent_at is not None and mail.attempts == 1
    assert outbox.send_pending() == {"sent": 0, "failed": 0, "retried": 0}  # nothing is sent twice


SUBJECT_WORDS = ("Trao đổi mới của Ông/Bà Nguyễn Thị Hà về nhiệm vụ NV-00117 Xây dựng kế hoạch chuyển đổi số cơ chế "
                 "hỗ trợ \"điện tử\" ưu tiên Tổng hợp thông báo ngày 07/12/2026: 24 Sở Khoa học và Công nghệ").split()


def test_long_vietnamese_subjects_arrive_word_for_word(world, mail_on, smtp_server):
    """An outside check: 71 of 166 mails arrived with two words run together ("Thị Hàvề", "cơ chếhỗ"): folding a
    long subject, the mail library dropped the space between two encoded words."""
    import random
    smtp_server.start()
    with_email("head")
    forget_notifications()
    rng = random.Random(7)
    subjects = [" ".join(rng.choice(SUBJECT_WORDS) for _ in range(rng.randint(8, 40))) for _ in range(60)]
    with transaction():
        for subject in subjects:
            delivery.notify([world["head"]], "comment", subject)
    assert outbox.send_pending(limit=100)["sent"] == 60
    assert [m["Subject"] for m in smtp_server.messages] == [title[:500] for title in subjects]
    raw = smtp_server.mailbox.raw[0].decode()
    assert all(len(line) <= 998 for line in raw.splitlines())


def test_two_senders_at_once_send_each_mail_once(app, world, mail_on, smtp_server):
    """An outside check: two workers (or ``run-timers`` beside the worker) on SQLite each sent the same 50 mails."""
    import threading
    smtp_server.start()
    with_email("head", "officer")
    forget_notifications()
    with transaction():
        for n in range(15):
            delivery.notify([world["head"], world["officer"]], "reminder", f"Nhắc việc số {n}")
    barrier = threading.Barrier(4)

    def sender():
        with app.app_context():
            barrier.wait()
            outbox.send_pending()
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 30 and len(set(ids)) == 30
    db.session.expire_all()
    assert {(m.status, m.attempts) for m in mails()} == {("sent", 1)}


def four_reminders_to_head(world, smtp_server) -> None:
    """"Nhắc việc số 0" … "số 3" queued for head, the mail server listening."""
    smtp_server.start()
    with_email("head")
    forget_notifications()
    with transaction():
        for n in range(4):
            delivery.notify([world["head"]], "reminder", f"Nhắc việc số {n}")


def test_a_sender_stopped_mid_batch_does_not_send_again_what_it_sent(world, mail_on, smtp_server, frozen,
                                                                      monkeypatch):
    """An outside check: a worker stopped by a deploy after two mails of its batch left them pending, and the next
    run sent them again (a new Message-ID each, so no client merged them). Each is marked as it goes; the one it
    was on when stopped waits for its claim to run out, then goes — once."""
    four_reminders_to_head(world, smtp_server)
    real_send, calls = outbox._Connection.send, []

    def stopped_at_the_third(self, mail):
        calls.append(mail.id)
        if len(calls) == 3:
            raise KeyboardInterrupt  # (SIGTERM of a deploy, while the server was being talked to)
        return real_send(self, mail)

    monkeypatch.setattr(outbox._Connection, "send", stopped_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        outbox.send_pending()
    monkeypatch.setattr(outbox._Connection, "send", real_send)
    db.session.expire_all()
    assert [m.status for m in mails()] == ["sent", "sent", "sending", "pending"]
    assert outbox.send_pending() == {"sent": 1, "failed": 0, "retried": 0}  # the fourth; the third is claimed
    frozen.advance(minutes=outbox.CLAIM_MINUTES + 1)
    assert outbox.send_pending() == {"sent": 1, "failed": 0, "retried": 0}
    assert sorted(m["Subject"] for m in smtp_server.messages) == [f"Nhắc việc số {n}" for n in range(4)]


def test_a_slow_batch_stops_taking_mail_before_its_claims_could_run_out(world, mail_on, smtp_server, frozen,
                                                                      monkeypatch):
    """The review found it: every claim of a batch ran from the batch's start, so with a slow server a mail claimed
    late in it was claimed already expired, and a second sender sent it too."""
    four_reminders_to_head(world, smtp_server)
    real_send, leases = outbox._Connection.send, []

    def slow(self, letter):
        leases.append(letter.lease - frozen.moment)
        frozen.advance(minutes=3)  # three minutes a mail
        return real_send(self, letter)

    monkeypatch.setattr(outbox._Connection, "send", slow)
    assert outbox.send_pending()["sent"] == 2  # six minutes in: the other two wait for the next run
    assert leases == [timedelta(minutes=outbox.CLAIM_MINUTES)] * 2  # each claim from its own moment
    assert [m.status for m in mails()] == ["sent", "sent", "pending", "pending"]
    assert outbox.send_pending()["sent"] == 2
    assert sorted(m["Subject"] for m in smtp_server.messages) == [f"Nhắc việc số {n}" for n in range(4)]


def test_a_sender_whose_claim_ran_out_does_not_overwrite_the_one_that_took_it_over(world, mail_on, smtp_server,
                                                                                  frozen):
    """The review found it: the mark did not check the claim was still the sender's."""
    smtp_server.start()
    mail_on["MAIL_MAX_ATTEMPTS"] = 1
    with_email("head")
    forget_notifications()
    with transaction():
        delivery.notify([world["head"]], "reminder", "Nhắc việc")
    [mail] = mails()
    stalled = outbox._claim(mail.id)  # a sender that stalls …
    frozen.advance(minutes=outbox.CLAIM_MINUTES + 1)
    assert outbox.send_pending()["sent"] == 1  # … another takes the mail over when its claim runs out
    assert outbox._mark(stalled, "timed out", 1) is None  # the first one's late failure changes nothing
    db.session.expire_all()
    assert (mails()[0].status, mails()[0].attempts) == ("sent", 1)
    with transaction():
        delivery.notify([world["head"]], "reminder", "Nhắc việc khác")
    being_sent = outbox._claim(mails()[-1].id)
    with pytest.raises(Conflict, match="đang được gửi"):  # nor may an administrator put back a mail being sent
        outbox.retry_mail(world["admin"], being_sent.id)


def test_an_address_the_server_refuses_is_not_tried_again_nor_taken_for_a_failing_server(app, world, mail_on,
                                                                                        smtp_server):
    """The review found it: one mistyped address (550) was retried for hours and made /healthz say the mail server
    was failing."""
    smtp_server.start()
    with_email("head")
    user("officer").email = "khongco@tinh.gov.vn"
    db.session.commit()
    forget_notifications()
    with transaction():
        delivery.notify([world["head"], world["officer"]], "reminder", "Nhắc việc")
    assert outbox.send_pending() == {"sent": 1, "failed": 1, "retried": 0}
    refused = next(m for m in mails() if m.to_address.startswith("khongco"))
    assert (refused.status, refused.attempts) == ("refused", 1) and "550" in refused.last_error
    body = app.test_client().get("/healthz").get_json()
    assert (body["mail"], body["undelivered_mail"]) == ("ok", 0)
    assert outbox.mail_counts() == {"pending": 0, "failed": 1, "sent": 1}


def test_a_mail_to_an_account_closed_after_it_was_queued_is_dropped(world, mail_on, smtp_server):
    smtp_server.start()
    with_email("head")
    forget_notifications()
    with transaction():
        delivery.notify([world["head"]], "comment", "Trao đổi mới")
    world["head"].active = False
    db.session.commit()
    assert outbox.send_pending() == {"sent": 0, "failed": 0, "retried": 0}
    assert smtp_server.messages == []
    [mail] = mails()
    assert (mail.status, mail.last_error) == ("cancelled", outbox.CLOSED_ACCOUNT)


def _server_certificate(tmp_path):
    """A CA of the province's own and the mail server's certificate for 127.0.0.1 it issued: (CA file, context)."""
    import ipaddress
    import ssl
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("CA Sở TT&TT")).issuer_name(name("CA Sở TT&TT"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=30)).add_extension(x509.BasicConstraints(True, None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("mail.tinh.gov.vn")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "server.pem")
    return tmp_path / "ca.pem", context


def test_an_operator_checks_the_mail_settings_with_a_test_mail_over_ssl_and_the_provinces_ca(
        app, world, mail_on, smtp_server, tmp_path):
    """An outside check: a server taking TLS from the first byte (port 465, as many government servers do) timed out
    with no setting for it, a server whose certificate the province's own CA issued could not be trusted, and the
    only way to learn that a setting was wrong was to wait for a real notice to fail six times."""
    runner = app.test_cli_runner()
    down = runner.invoke(args=["send-test-mail", "head@tinh.gov.vn"])  # nothing listens yet
    assert down.exit_code == 1
    assert f"Không gửi được thư thử đến head@tinh.gov.vn qua máy chủ 127.0.0.1:{smtp_server.port}:" in down.output

    ca_file, context = _server_certificate(tmp_path)
    smtp_server.start(ssl_context=context)  # TLS from the first byte
    mail_on.update(MAIL_USE_SSL=True)
    untrusted = runner.invoke(args=["send-test-mail", "head@tinh.gov.vn"])
    assert untrusted.exit_code == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.output
    mail_on.update(MAIL_CA_FILE=str(ca_file))
    mail_on["MAIL_ENABLED"] = False
    sent = runner.invoke(args=["send-test-mail", "head@tinh.gov.vn"])
    assert sent.exit_code == 0, sent.output
    assert sent.output.strip() == (f"Đã gửi thư thử đến head@tinh.gov.vn qua máy chủ 127.0.0.1:{smtp_server.port}. "
                                   "Lưu ý: MAIL_ENABLED đang tắt nên thư thông báo chưa được gửi.")
    [message] = smtp_server.messages
    assert message["Subject"] == "Thư thử của Hệ thống theo dõi nhiệm vụ"
    assert "cấu hình gửi thư hoạt động" in message.get_content()
    assert mails() == []  # nothing queued: a test mail is sent there and then


def test_users_without_address_or_inactive_get_no_mail(world, mail_on):
    with_email("head")
    with transaction():
        delivery.notify([world["head"], world["officer"]], "reminder", "Nhắc việc")
    assert [m.to_address for m in mails()] == ["head@tinh.gov.vn"]
    assert [n.emailed for n in notes_of("officer")] == [False]


def test_a_server_that_is_down_never_blocks_a_step_and_nothing_is_lost(world, mail_on, smtp_server, frozen):
    with_email("head", "officer")
    with transaction():  # the step commits although nothing listens on the mail port
        delivery.notify([world["head"], world["officer"]], "escalation", "Quá hạn: NV-00001 Đề án",
                      link="/tasks/1")
    assert count(Notification) == 2 and count(OutboxMail) == 2

    assert outbox.send_pending() == {"sent": 0, "failed": 0, "retried": 2}
    for mail in mails():
        assert (mail.status, mail.attempts) == ("pending", 1)
        assert mail.last_error
        assert mail.next_attempt_at == frozen.moment + timedelta(minutes=1) > frozen.moment
    assert outbox.send_pending() == {"sent": 0, "failed": 0, "retried": 0}  # not due yet

    smtp_server.start()
    frozen.advance(minutes=2)
    assert outbox.send_pending() == {"sent": 2, "failed": 0, "retried": 0}
    assert sorted(m["To"] for m in smtp_server.messages) == ["head@tinh.gov.vn", "officer@tinh.gov.vn"]
    assert all(m.status == "sent" and m.attempts == 2 for m in mails())


def test_once_the_server_answers_again_the_mail_that_waited_goes_at_once_dated_when_it_was_made(world, mail_on,
                                                                                               smtp_server, frozen):
    """An outside check: after an outage a mail that had failed waited out its delay (up to an hour) while newer
    ones went at once; it arrived after the work it announced was done, dated when it was finally sent."""
    with_email("head")
    with transaction():
        delivery.notify([world["head"]], "new_item", "Việc mới: Thẩm định — NV-00001")
    assert outbox.send_pending()["retried"] == 1  # the server is down
    frozen.moment = mails()[0].next_attempt_at  # tried again a minute on: the next try 5 minutes after that
    assert outbox.send_pending()["retried"] == 1 and mails()[0].next_attempt_at == frozen.moment + timedelta(minutes=5)
    assert mails()[0].last_error.startswith("Không kết nối được máy chủ thư: ")  # (what the admin's page shows)
    # a mail the server turned down for itself (a full mailbox) keeps its delay: waking it would spend its tries
    with_email("officer")
    with transaction():
        delivery.notify([world["officer"]], "new_item", "Việc mới: Góp ý — NV-00003")
    full = next(m for m in mails() if m.to_address.startswith("officer"))
    full.attempts, full.last_error = 1, "(452, b'4.2.2 Mailbox full')"
    full.next_attempt_at = waits_until = frozen.moment + timedelta(minutes=5)
    db.session.commit()
    smtp_server.start()
    frozen.advance(minutes=1)
    with transaction():
        delivery.notify([world["head"]], "new_item", "Việc mới: Phê duyệt — NV-00002")
    assert outbox.send_pending() == {"sent": 2, "failed": 0, "retried": 0}  # both now, not the first in 4 minutes
    db.session.refresh(full)
    assert (full.status, full.attempts, full.next_attempt_at) == ("pending", 1, waits_until)
    dated = {m["Subject"]: m["Date"].datetime for m in smtp_server.messages}
    first, second = (dated[f"Việc mới: {s}"] for s in ("Thẩm định — NV-00001", "Phê duyệt — NV-00002"))
    assert second - first == timedelta(minutes=2)  # each dated when it was made (a mail client sorts them so)


def test_a_mailbox_full_for_now_is_tried_again_not_given_up(world, mail_on, smtp_server, frozen):
    """The server's 452 ("mailbox full", a temporary refusal of one address) was taken as a wrong address: the mail was
    given up at once, like a 550 (seen while mending the retries after an outage)."""
    smtp_server.start()
    for name, address in (("head", "day@tinh.gov.vn"), ("officer", "khongco@tinh.gov.vn")):
        user(name).email = address
    db.session.commit()
    with transaction():
        delivery.notify([world["head"], world["officer"]], "reminder", "Sắp đến hạn (30/06/2026): NV-00001")
    assert outbox.send_pending() == {"sent": 0, "failed": 1, "retried": 1}
    by_address = {m.to_address: m for m in mails()}
    assert by_address["day@tinh.gov.vn"].status == "pending" and "452" in by_address["day@tinh.gov.vn"].last_error
    assert by_address["khongco@tinh.gov.vn"].status == "refused"


def test_retries_back_off_then_give_up_and_an_admin_can_retry(world, mail_on, frozen):
    mail_on["MAIL_MAX_ATTEMPTS"] = 3
    with_email("head")
    with transaction():
        delivery.notify([world["head"]], "reminder", "Sắp đến hạn (30/06/2026): NV-00001")
    [mail] = mails()
    waits = []
    for _ in range(2):
        before = frozen.moment
        assert outbox.send_pending()["retried"] == 1
        db.session.refresh(mail)
        waits.append(mail.next_attempt_at - before)
        frozen.moment = mail.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=5)]
    assert outbox.send_pending() == {"sent": 0, "failed": 1, "retried": 0}
    db.session.refresh(mail)
    assert (mail.status, mail.attempts) == ("failed", 3) and "refused" in mail.last_error.lower()
    frozen.advance(days=1)
    assert outbox.send_pending()["failed"] == 0  # given up: not tried again by itself

    with pytest.raises(NotAllowed):
        outbox.retry_mail(world["head"], mail.id)
    outbox.retry_mail(world["admin"], mail.id)
    assert (mail.status, mail.next_attempt_at) == ("pending", frozen.moment)
    mail.status = "sent"
    db.session.commit()
    with pytest.raises(Conflict):
        outbox.retry_mail(world["admin"], mail.id)
    with pytest.raises(NotFound):
        outbox.retry_mail(world["admin"], 999999)


# aiosmtpd itself sets its deprecated Session.login_data after a successful AUTH (in its thread)
@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning")
def test_smtp_login(world, mail_on, smtp_server):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"theodoi", b"bi-mat")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    smtp_server.start(authenticator=authenticator, auth_require_tls=False)
    mail_on.update(MAIL_USERNAME="theodoi", MAIL_PASSWORD="sai")
    with_email("head")
    with transaction():
        delivery.notify([world["head"]], "reminder", "Nhắc việc")
    assert outbox.send_pending()["retried"] == 1
    [mail] = mails()
    assert "535" in mail.last_error and "credentials invalid" in mail.last_error
    mail_on["MAIL_PASSWORD"] = "bi-mat"
    outbox.retry_mail(world["admin"], mail.id)
    assert outbox.send_pending()["sent"] == 1 and len(smtp_server.messages) == 1


def test_a_rolled_back_step_leaves_no_notification_and_no_mail(world, mail_on):
    with_email("head")
    with pytest.raises(RuntimeError), transaction():
        delivery.notify([world["head"]], "new_item", "Việc mới: Thẩm định — NV-00012")
        raise RuntimeError("the step failed after notifying")
    assert count(Notification) == 0 and count(OutboxMail) == 0


def test_mail_disabled_queues_and_sends_nothing(world, app):
    assert not app.config.get("MAIL_ENABLED")
    with_email("head")
    with transaction():
        delivery.notify([world["head"]], "reminder", "Nhắc việc")
    assert count(OutboxMail) == 0
    assert outbox.send_pending() == {"sent": 0, "failed": 0, "retried": 0}
    assert outbox.queue_digests() == 0


def test_digest_users_get_one_mail_with_all_their_notifications(world, mail_on, smtp_server, frozen):
    smtp_server.start()
    with_email("head", digest=True)
    with_email("officer")
    with transaction():
        delivery.notify([world["head"], world["officer"]], "new_item", "Việc mới: Thẩm định — NV-00012",
                        link="/tasks/12")
        delivery.notify([world["head"], world["officer"]], "returned",
                        "Hồ sơ bị trả lại: NV-00013. Lý do: thiếu số liệu", link="/tasks/13")
    assert [m.to_address for m in mails()] == ["officer@tinh.gov.vn"] * 2  # no immediate mail for head

    frozen.advance(hours=12)
    assert outbox.queue_digests() == 1
    digest = mails()[-1]
    assert digest.to_address == "head@tinh.gov.vn"
    assert digest.subject == "Tổng hợp thông báo ngày 01/03/2026: 2 thông báo"
    assert all(n.emailed for n in notes_of("head"))
    assert outbox.queue_digests() == 0  # each notification is mailed once

    assert outbox.send_pending() == {"sent": 3, "failed": 0, "retried": 0}
    [message] = [m for m in smtp_server.messages if m["To"] == "head@tinh.gov.vn"]
    body = message.get_content()
    assert "Việc mới: Thẩm định — NV-00012" in body and "Lý do: thiếu số liệu" in body
    assert f"{BASE_URL}/tasks/12" in body and f"{BASE_URL}/tasks/13" in body

    with transaction():
        delivery.notify([world["head"]], "reminder", "Sắp đến hạn (30/06/2026): NV-00012")
    frozen.advance(days=1)
    assert outbox.queue_digests() == 1
    assert "Sắp đến hạn" in mails()[-1].body and "NV-00013" not in mails()[-1].body


def test_a_user_chooses_a_daily_digest_which_brings_the_days_unread_notices_only(world, mail_on, browser, frozen):
    """An outside check: the README's daily digest could not be chosen anywhere, and switched on it mailed every
    notice since 2025, read or not."""
    with_email("head")
    with transaction():  # old news: before the digest was chosen, mail was off for head
        delivery.notify([world["head"]], "reminder", "Nhắc việc cũ đã đọc")
        delivery.notify([world["head"]], "reminder", "Nhắc việc cũ chưa đọc")
    db.session.execute(delete(OutboxMail))
    for note in notes_of("head"):
        note.emailed = False  # (as made while the address was empty)
    notes_of("head")[0].read_at = frozen.moment
    db.session.commit()
    browser.login("head")
    page = browser.client.get("/notifications").get_data(as_text=True)
    assert "Nhận thông báo qua thư điện tử" in page and "Gửi đến head@tinh.gov.vn" in page
    assert 'id="mail-each" name="digest" value="0" checked' in page
    r = browser.client.post("/notifications/mail", data={"csrf_token": csrf_from(page), "digest": "1"},
                            follow_redirects=True)
    assert "Từ nay bạn nhận một thư tổng hợp mỗi ngày lúc 16:30." in r.get_data(as_text=True)
    assert user("head").email_digest is True

    frozen.advance(days=2)
    with transaction():
        delivery.notify([world["head"]], "returned", "Hồ sơ bị trả lại: NV-00013")
        delivery.notify([world["head"]], "reminder", "Nhắc việc hôm nay đã đọc")
    notes_of("head")[-1].read_at = frozen.moment
    db.session.commit()
    assert mails() == []  # a digest user: nothing as it happens
    frozen.advance(hours=6)
    assert outbox.queue_digests() == 1
    [digest] = mails()
    assert digest.subject.endswith(": 1 thông báo") and "NV-00013" in digest.body and "cũ" not in digest.body
    assert all(n.emailed for n in notes_of("head")) and outbox.queue_digests() == 0


# ---------------------------------------------------------------- pages

def text(response) -> str:
    return response.get_data(as_text=True)


def test_notification_list_mark_one_and_all_read(app, browser, world):
    browser.login("x_head")
    assert "Chưa có thông báo nào" in text(browser.client.get("/notifications"))
    with transaction():
        delivery.notify([world["head"]], "new_item", "Việc mới: Thẩm định — NV-00001", link="/tasks/1")
        [second] = delivery.notify([world["head"]], "returned", "Hồ sơ bị trả lại: NV-00002", link="/tasks/2")
        delivery.notify([world["head"]], "reminder", "Sắp đến hạn (30/06/2026): NV-00003", body="Dòng 1\nDòng 2")
        [foreign] = delivery.notify([world["officer"]], "reminder", "Của chuyên viên")
    browser.login("head")
    page = text(browser.client.get("/notifications"))
    assert "Bạn có 3 thông báo chưa đọc." in page and "Của chuyên viên" not in page
    assert page.index("NV-00003") < page.index("NV-00002") < page.index("NV-00001")
    assert "<strong><span class=\"visually-hidden\">Chưa đọc: </span>Hồ sơ bị trả lại: NV-00002</strong>" in page

    token = browser.csrf("/notifications")
    r = browser.client.post(f"/notifications/{second.id}/read", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/tasks/2"
    page = text(browser.client.get("/notifications"))
    assert "Bạn có 2 thông báo chưa đọc." in page
    assert "Chưa đọc: </span>Hồ sơ bị trả lại" not in page
    assert browser.client.post(f"/notifications/{foreign.id}/read", data={"csrf_token": token}).status_code == 404
    assert browser.client.post("/notifications/read-all", data={}).status_code == 400  # CSRF
    r = browser.client.post("/notifications/read-all", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/notifications"
    page = text(browser.client.get("/notifications"))
    assert "Đã đánh dấu 2 thông báo là đã đọc." in page and "Bạn không có thông báo nào chưa đọc." in page
    assert bell.unread_count(world["officer"]) == 1


def test_the_bell_shows_the_unread_count(app, browser, world):
    with transaction():
        delivery.notify([world["head"]], "new_item", "Việc mới A")
        delivery.notify([world["head"]], "new_item", "Việc mới B")
    browser.login("head")
    page = text(browser.client.get("/inbox"))
    assert 'href="/notifications"' in page and "2<span class=\"visually-hidden\"> thông báo chưa đọc</span>" in page
    browser.login("officer")
    assert "thông báo chưa đọc" not in text(browser.client.get("/inbox"))


def test_notifications_need_login(app, browser, world):
    assert browser.client.get("/notifications").status_code == 302


def test_admin_mail_page_lists_failures_and_retries(app, browser, world, mail_on, frozen):
    with_email("head")
    with transaction():
        delivery.notify([world["head"]], "escalation", "Quá hạn: NV-00007 Báo cáo tổng kết")
    outbox.send_pending()  # nothing listens: the attempt fails
    [mail] = mails()

    browser.login("head")
    assert browser.client.get("/admin/mail").status_code == 403
    token = browser.csrf("/notifications")
    assert browser.client.post(f"/admin/mail/{mail.id}/retry", data={"csrf_token": token}).status_code == 403

    browser.login("admin")
    page = text(browser.client.get("/admin/mail"))
    assert "head@tinh.gov.vn" in page and "Quá hạn: NV-00007 Báo cáo tổng kết" in page
    assert mail.last_error in page and "Đang chờ gửi: <strong>1</strong>" in page
    frozen.advance(minutes=0.5)
    r = browser.client.post(f"/admin/mail/{mail.id}/retry", data={"csrf_token": browser.csrf("/admin/mail")})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/mail"
    db.session.refresh(mail)
    assert (mail.status, mail.next_attempt_at, mail.attempts) == ("pending", frozen.moment, 1)
    assert "sẽ được gửi lại" in text(browser.client.get("/admin/mail"))

    mail.status = "sent"
    db.session.commit()
    assert "Không có thư nào đang chờ hoặc bị lỗi" in text(browser.client.get("/admin/mail"))


def test_after_an_outage_an_admin_sends_every_given_up_mail_again_at_once(app, browser, world, mail_on, frozen):
    """An outside check: after an overnight outage the mails given up could only be sent again one click each."""
    mail_on["MAIL_MAX_ATTEMPTS"] = 1
    with_email("head", "officer")
    with transaction():
        delivery.notify([world["head"], world["officer"]], "escalation", "Quá hạn: NV-00007 Báo cáo tổng kết")
        delivery.notify([world["head"]], "reminder", "Sắp đến hạn: NV-00008")
    assert outbox.send_pending()["failed"] == 3
    browser.login("admin")
    page = text(browser.client.get("/admin/mail"))
    assert "Gửi lại tất cả 3 thư lỗi" in page
    r = browser.client.post("/admin/mail/retry-failed", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "3 thư lỗi sẽ được gửi lại ở lượt gửi kế tiếp." in text(r) and "Gửi lại tất cả" not in text(r)
    assert {(m.status, m.next_attempt_at) for m in mails()} == {("pending", frozen.moment)}
    with pytest.raises(NotAllowed):
        outbox.retry_failed(world["head"])


def test_admin_mail_page_with_mail_off_does_not_claim_mail_was_sent(app, browser, world):
    assert not app.config.get("MAIL_ENABLED")
    forget_notifications()
    browser.login("admin")
    page = text(browser.client.get("/admin/mail"))
    assert "Chức năng gửi thư đang tắt" in page and "Đã gửi: <strong>0</strong>" in page
    assert "không có thư nào được xếp hàng" in page and "Mọi thư thông báo đã được gửi" not in page


def test_admin_mail_page_with_mail_on_and_nothing_left_says_all_was_sent(app, browser, world, mail_on):
    forget_notifications()
    browser.login("admin")
    page = text(browser.client.get("/admin/mail"))
    assert "Mọi thư thông báo đã được gửi." in page and "không có thư nào được xếp hàng" not in page


def test_whoever_stands_in_for_an_absent_holder_is_told_too(world, frozen):
    """The officer away names his head to stand in: the comment, the return, the new work of the files he holds
    went to him alone, and his stand-in heard nothing of what he was to act on. The stand-in is told, by the same
    rule in Python and in SQL; after the absence, no more."""
    today = clock.today()
    people.set_delegate(world["officer"], world["officer"].id, "head", today, today + timedelta(days=2))
    task = new_task(world, collaborators=())
    act(world, task, "assign")  # the draft is the officer's
    draft = item_at(task, "draft")
    forget_notifications()
    with transaction():
        told = events.work_item_created(draft)
    assert [n.user.username for n in told] == ["head", "officer"] == [
        u.username for u in sorted(delivery.recipients_for_item(draft), key=lambda u: u.username)]
    work.release(draft.id, world["officer"])  # in the queue: officers, and the head for the absent one
    forget_notifications()
    with transaction():
        told = events.work_item_created(draft)
    assert sorted(n.user.username for n in told) == ["head", "officer", "officer2"] == sorted(
        u.username for u in delivery.recipients_for_item(draft))
    frozen.advance(days=3)
    forget_notifications()
    with transaction():
        told = events.work_item_created(draft)
    assert sorted(n.user.username for n in told) == ["officer", "officer2"]


def test_opening_a_task_reads_its_notices(world, browser):
    """"Việc mới" and "Hồ sơ bị trả lại" stayed unread after the work was done (an officer's bell showed 6): the
    notices of a task are read once its page is opened; another task's stay unread."""
    task, other = new_task(world, collaborators=()), new_task(world, collaborators=(), title="Kế hoạch khác")
    act(world, task, "assign")
    act(world, other, "assign")
    browser.login("officer")
    assert len(notes_of("officer")) == 2 and all(n.read_at is None for n in notes_of("officer"))
    browser.client.get(f"/tasks/{task.id}")
    db.session.expire_all()
    assert {n.task_id: n.read_at is not None for n in notes_of("officer")} == {task.id: True, other.id: False}


def test_a_return_of_a_long_title_reads_as_one_sentence(world):
    task = new_task(world, collaborators=(), title="Xây dựng Đề án " + "phát triển kinh tế số " * 10)
    for step in ("assign", "draft", "finalise"):
        act(world, task, step)
    forget_notifications()
    act(world, task, "signoff", "return", "Thiếu phần kinh phí.")
    [note] = notes_of("officer")
    assert "…. Lý do" not in note.title and "… Lý do: Thiếu phần kinh phí." in note.title


def test_a_holder_moved_to_another_agency_is_not_the_one_told_the_queue_is(world):
    """Python and SQL said different things of an item still held by someone moved elsewhere (rows left by moves
    made before those released their items): both tell the item's agency's queue."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    draft = item_at(task, "draft")
    officer = user("officer")
    officer.agency_id = db.session.scalar(select(Agency.id).where(Agency.name == COLLAB_A))
    db.session.commit()
    expected = sorted(u.username for u in delivery.recipients_for_item(draft))
    forget_notifications()
    with transaction():
        told = events.work_item_created(draft)
    assert sorted(n.user.username for n in told) == expected == ["officer2"]


def test_the_lead_agency_hears_that_its_task_is_done(world, frozen):
    """An outside check: the coordinator confirmed the result and nobody was told; the officer's last word was the
    "Việc mới" of its report step, which did not say the plan was approved. The lead agency's people who worked on
    it and its heads hear the outcome."""
    task = new_task(world, collaborators=(), due=date(2026, 5, 15))
    while open_items(task):
        step = open_items(task)[0].step_id
        if step == "report":
            frozen.advance(days=84)  # 24/05: the decision (of 20/05) reported, and confirmed, nine days late
            # the officer's notice of the report step says the plan was approved, and by whom
            [told] = db.session.scalars(select(Notification.body).where(
                Notification.kind == "new_item", Notification.user_id == world["officer"].id,
                Notification.title.startswith("Việc mới: Báo cáo kết quả"))).all()
            assert "Chuyển từ bước: Phê duyệt — Đồng ý (Ông/Bà approver)" in told
        if step == "confirm":
            forget_notifications()
        act(world, task, step)
    notes = db.session.scalars(select(Notification).where(Notification.kind == "done")).all()
    assert sorted(n.user.username for n in notes) == ["head", "officer"]  # not the coordinator who confirmed
    assert notes[0].title == f"Đã hoàn thành: {task.code} {task.title}"
    assert "Hoàn thành ngày 24/05/2026 (thời hạn 15/05/2026: trễ 9 ngày)" in notes[0].body
    assert "Người xác nhận: Ông/Bà coord (Sở Khoa học và Công nghệ)" in notes[0].body


def test_one_moved_to_another_agency_is_not_told_its_former_agency_s_task_is_done(world):
    """A security review: an officer moved to another agency got "Đã hoàn thành" of a task they can no longer open,
    with its dates and who confirmed it."""
    task = new_task(world, collaborators=())
    while (step := open_items(task)[0].step_id) != "confirm":
        act(world, task, step)
    officer = user("officer")
    officer.agency_id = user("x_officer").agency_id
    db.session.commit()
    forget_notifications()
    act(world, task, "confirm")
    assert [n.user.username for n in db.session.scalars(select(Notification).where(Notification.kind == "done"))] \
        == ["head"]


def test_a_return_past_the_agency_tells_its_head_who_signed_the_file(world):
    """An outside check: a file the lead agency's head signed and sent on, returned at appraisal, went back to the
    officer's draft and its head heard nothing: the file they signed was refused and they learnt it from the
    officer, or at the next sign-off. Those of the agency who passed the file on since the step it returns to hear
    it came back (not the holder twice, not whoever returned it)."""
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion", "finalise",
                 "signoff"):
        act(world, task, step)
    forget_notifications()
    act(world, task, "appraise", "return", "Thiếu đánh giá tác động.")
    back_to = open_items(task)
    [to_officer] = notes_of("officer")
    [to_head] = notes_of("head")
    assert to_officer.kind == to_head.kind == "returned"
    assert to_head.title == to_officer.title and "Lý do: Thiếu đánh giá tác động." in to_head.title
    assert f"Hồ sơ đang ở bước “{back_to[0].step_name}”: Ông/Bà officer." in to_head.body
    assert "đang ở bước" not in to_officer.body
    assert notes_of("justice") == [] and notes_of("collab_a_head") == []
    # a return inside the agency tells the holder only: its head returned it themselves
    act(world, task, "finalise")
    forget_notifications()
    act(world, task, "signoff", "return", "Sửa lại phần kinh phí.")
    assert [n.kind for n in notes_of("officer")] == ["returned"] and notes_of("head") == []
