"""Digital signatures (ký số) on the PDFs filed at any step: validated offline against the administrator's trust
roots, kept as append-only evidence, required where a step asks for a signed file (issue 17)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from models import Attachment, AuditEvent, SignatureCheck, WorkItem, db
from tests.conftest import COLLAB_A, act, item_at, new_task
from tests.pki import make_pki, pdf, sign, tamper
from workflows.errors import Invalid, NotAllowed
from workflows.signatures import check, evidence, roots
from workflows.tasks import files, work

DECISION = ["QUYET DINH", "Phe duyet De an chuyen doi so nganh cong thuong", "So 1234/QD-UBND"]


@pytest.fixture(scope="module")
def pki():
    return make_pki()


@pytest.fixture(scope="module")
def signed(pki):
    """The decision signed by the chairman, then by UBND tỉnh (the person's and the organisation's signatures)."""
    person = pki.signer("Nguyễn Văn A", "UBND tỉnh Thanh Hóa")
    organisation = pki.signer("UBND tỉnh Thanh Hóa", "UBND tỉnh Thanh Hóa")
    once = sign(pdf(DECISION), person, pki)
    return {"once": once, "twice": sign(once, organisation, pki, "Signature2"), "person": person}


def upload(name: str, content: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


def trust(world, pki) -> None:
    roots.add(world["admin"], pki.root.pem)
    db.session.commit()


# ---------------------------------------------------------------- reading a file's signatures

def test_a_valid_signature_says_who_signed_and_when(pki, signed):
    report = check.read(signed["once"], [pki.root.asn1])
    assert report.status == "valid"
    [one] = report.signatures
    assert (one.signer, one.organisation, one.status) == ("Nguyễn Văn A", "UBND tỉnh Thanh Hóa", "valid")
    assert int(one.serial, 16) == signed["person"].cert.serial_number  # in hexadecimal, as viewers show it
    assert datetime.fromisoformat(one.signed_at) > datetime.now(UTC) - timedelta(minutes=5)


def test_one_changed_byte_is_tampered(pki, signed):
    assert check.read(tamper(signed["once"], b"QUYET DINH"), [pki.root.asn1]).status == "tampered"


def test_a_root_nobody_trusts_is_untrusted(signed):
    assert check.read(signed["once"], [make_pki("Root CA khác").root.asn1]).status == "untrusted"
    assert check.read(signed["once"], []).status == "untrusted"


def test_a_signer_expired_at_signing_time(pki):
    now = datetime.now(UTC)
    expired = pki.signer("Lê Văn B", "Sở Nội vụ", valid_from=now - timedelta(days=400),
                         valid_to=now - timedelta(days=3))
    assert check.read(sign(pdf(DECISION), expired, pki), [pki.root.asn1]).status == "expired"
    # signed while valid, first read after it expired: the time the signer's own computer wrote in the file is no
    # evidence (a file signed with a certificate expired 30 days ago, its time set back 60 days, passed as valid);
    # only a trusted timestamp, or the product having received the file while the certificate was valid, is
    ending = pki.signer("Trần Thị C", "Sở Tư pháp", valid_from=now - timedelta(days=400),
                        valid_to=now + timedelta(days=1))
    later = check.read(sign(pdf(DECISION), ending, pki), [pki.root.asn1], moment=now + timedelta(days=60))
    assert later.status == "expired"


def test_a_file_received_while_its_certificate_was_valid_stays_valid_when_checked_again_later(world, pki, frozen):
    """A root added months later re-checks the files that waited for it: each is judged as of the day the product
    received it, when its certificate was valid — not as of the re-check, after it expired."""
    now = frozen()
    ending = pki.signer("Trần Thị C", "Sở Tư pháp", valid_from=now - timedelta(days=400),
                        valid_to=now + timedelta(days=30))
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    work.complete(item_at(task, "draft").id, world["officer"], "submit", None, {},
                  {"draft_file": upload("du-thao.pdf", sign(pdf(DECISION), ending, pki))})
    frozen.advance(days=90)  # the certificate expired 60 days ago
    roots.add(world["admin"], pki.root.pem)
    assert files.recheck_awaiting_trust(world["admin"]) == 1
    assert [r.status for r in db.session.scalars(select(SignatureCheck).order_by(SignatureCheck.id))] == [
        "untrusted", "valid"]


def test_both_signatures_of_a_person_and_an_organisation_are_listed(pki, signed):
    report = check.read(signed["twice"], [pki.root.asn1])
    assert report.status == "valid"
    assert [(s.signer, s.field, s.status) for s in report.signatures] == [
        ("Nguyễn Văn A", "Signature1", "valid"), ("UBND tỉnh Thanh Hóa", "Signature2", "valid")]


def test_the_chip_says_which_of_two_signatures_failed_and_names_an_organisation_once(pki, signed):
    """The person's signature trusted, the organisation's from another CA: the chip read "Chưa tin cậy — Nguyễn Văn
    A, …; Công ty ABC, …" and the trusted signer looked untrusted. An organisation's certificate read "UBND tỉnh
    Thanh Hóa, UBND tỉnh Thanh Hóa"."""
    stranger = make_pki("Root CA khác").signer("Công ty TNHH Tư vấn ABC", "Công ty TNHH Tư vấn ABC")
    mixed = sign(signed["once"], stranger, make_pki("Root CA khác"), "Signature2")
    report = check.read(mixed, [pki.root.asn1])
    row = SignatureCheck(signatures=report.as_rows())
    said = evidence.signers(row)
    assert report.status == "untrusted"
    assert said.startswith("Nguyễn Văn A, UBND tỉnh Thanh Hóa, ") and "(hợp lệ); Công ty TNHH Tư vấn ABC, " in said
    assert said.endswith("(chưa tin cậy)") and "ABC, Công ty" not in said
    both = evidence.signers(SignatureCheck(signatures=check.read(signed["twice"], [pki.root.asn1]).as_rows()))
    assert "hợp lệ" not in both and "UBND tỉnh Thanh Hóa, UBND tỉnh Thanh Hóa" not in both.split("; ")[1]


def test_unsigned_and_unreadable_files(pki):
    assert check.read(pdf(DECISION), [pki.root.asn1]).status == "unsigned"
    assert check.read(b"%PDF-1.4 not really a PDF", [pki.root.asn1]).status == "unreadable"


# ---------------------------------------------------------------- at the steps

def at_approval(world):
    task = new_task(world, output_type="decision", collaborators=(COLLAB_A,))
    for _ in range(12):
        if any(i.step_id == "approve" for i in db.session.scalars(select(WorkItem).where(
                WorkItem.task_id == task.id, WorkItem.status == "open"))):
            return task
        act(world, task, next(i.step_id for i in db.session.scalars(select(WorkItem).where(
            WorkItem.task_id == task.id, WorkItem.status == "open").order_by(WorkItem.id))))
    raise AssertionError("never reached the approval")


def approve_with(world, task, name: str, content: bytes):
    item = item_at(task, "approve")
    return work.complete(item.id, world["approver"], "approve", None, {}, {"decision_file": upload(name, content)})


def test_the_approval_takes_a_signed_decision_and_keeps_the_evidence(world, pki, signed):
    trust(world, pki)
    task = at_approval(world)
    approve_with(world, task, "quyet-dinh-1234.pdf", signed["twice"])
    [attachment] = db.session.scalars(select(Attachment).where(Attachment.field == "decision_file")).all()
    assert files.path_of(attachment).read_bytes() == signed["twice"]  # the original bytes, unchanged
    [row] = db.session.scalars(select(SignatureCheck)).all()
    assert (row.status, row.sha256, row.attachment_id) == ("valid", attachment.sha256, attachment.id)
    assert [s["signer"] for s in row.signatures] == ["Nguyễn Văn A", "UBND tỉnh Thanh Hóa"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signature_check")).one()
    assert event.data["sha256"] == attachment.sha256 and event.data["status"] == "valid"
    assert event.actor.username == "approver"
    assert "Nguyễn Văn A, UBND tỉnh Thanh Hóa, " in evidence.signers(row)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("quyet-dinh.pdf", "tampered", "Tài liệu đã bị sửa sau khi ký"),
    ("quyet-dinh.pdf", "unsigned", "Không có chữ ký số"),
    ("quyet-dinh.docx", "docx", "cần tệp PDF có chữ ký số"),
])
def test_a_step_that_wants_a_signed_file_refuses_others_and_keeps_nothing(world, pki, signed, name, content,
                                                                           reason):
    trust(world, pki)
    task = at_approval(world)
    data = {"tampered": tamper(signed["once"], b"QUYET DINH"), "unsigned": pdf(DECISION),
            "docx": b"PK\x03\x04" + b"0" * 100}[content]
    with pytest.raises(Invalid) as refused:
        approve_with(world, task, name, data)
    assert reason in str(refused.value.message)
    db.session.rollback()
    assert item_at(task, "approve").status == "open"
    assert not db.session.scalars(select(Attachment).where(Attachment.field == "decision_file")).all()
    assert db.session.scalar(select(func.count()).select_from(SignatureCheck)) == 0


def test_an_untrusted_signature_is_refused_at_approval_until_its_root_is_trusted(world, pki, signed):
    task = at_approval(world)
    with pytest.raises(Invalid) as refused:
        approve_with(world, task, "quyet-dinh.pdf", signed["once"])
    assert "Chưa tin cậy" in refused.value.message
    db.session.rollback()
    trust(world, pki)
    approve_with(world, task, "quyet-dinh.pdf", signed["once"])


def test_any_pdf_filed_at_any_step_is_checked(world, pki, signed):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    work.complete(item.id, world["officer"], "submit", None, {}, {"draft_file": upload("du-thao.pdf", signed["once"])})
    [row] = db.session.scalars(select(SignatureCheck)).all()
    assert row.status == "untrusted"  # no root is trusted yet: said, not refused (the draft does not ask for it)
    before = (row.id, row.status, row.checked_at)

    # an administrator trusts the root: the file is checked again, a new row and a new event, the old ones kept
    roots.add(world["admin"], pki.root.pem)
    assert files.recheck_awaiting_trust(world["admin"]) == 1
    db.session.commit()
    rows = db.session.scalars(select(SignatureCheck).order_by(SignatureCheck.id)).all()
    assert [(r.status, r.sha256) for r in rows] == [("untrusted", rows[0].sha256), ("valid", rows[0].sha256)]
    assert (rows[0].id, rows[0].status, rows[0].checked_at) == before
    assert [e.data["status"] for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "signature_check").order_by(AuditEvent.id))] == ["untrusted", "valid"]
    assert evidence.latest([rows[0].attachment_id])[rows[0].attachment_id].status == "valid"
    with pytest.raises(PermissionError):
        rows[0].status = "valid"
        db.session.flush()
    db.session.rollback()


# ---------------------------------------------------------------- trust roots

def test_only_ca_certificates_are_trusted_and_only_by_an_administrator(world, pki, signed):
    with pytest.raises(NotAllowed):
        roots.add(world["coord"], pki.root.pem)
    with pytest.raises(Invalid) as not_ca:
        roots.add(world["admin"], pki.signer("Nguyễn Văn A", "UBND tỉnh").pem)
    assert "không phải chứng thư của tổ chức cung cấp dịch vụ chứng thực" in not_ca.value.message
    with pytest.raises(Invalid):
        roots.add(world["admin"], b"-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n")
    root = roots.add(world["admin"], pki.root.pem)
    with pytest.raises(Invalid) as twice:
        roots.add(world["admin"], pki.root.asn1.dump())  # the same certificate as DER
    assert "đã có trong danh sách tin cậy" in twice.value.message
    roots.deactivate(world["admin"], root.id)
    assert roots.active() == [] and roots.listed() == [root]
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id.is_not(None))
                                                 .order_by(AuditEvent.id))] == ["trust_root_add", "trust_root_remove"]


# ---------------------------------------------------------------- pages

def test_the_task_page_shows_who_signed_and_the_history_keeps_each_check(app, world, pki, signed, browser):
    trust(world, pki)
    task = at_approval(world)
    approve_with(world, task, "quyet-dinh-1234.pdf", signed["twice"])
    browser.login("coord")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    files_card = page.split('id="files-title"', 1)[1].split("</section>", 1)[0]
    assert 'class="chip sig-valid">Chữ ký số hợp lệ</span>' in files_card
    assert "Nguyễn Văn A, UBND tỉnh Thanh Hóa, " in files_card
    assert "; UBND tỉnh Thanh Hóa, " in files_card and "Hóa, UBND tỉnh Thanh Hóa" not in files_card  # once
    history = page.split('id="history-title"', 1)[1]
    assert "Kiểm tra chữ ký số" in history and "quyet-dinh-1234.pdf" in history
    attachment = db.session.scalars(select(Attachment)).one()
    assert f"Mã băm SHA-256 của tệp: {attachment.sha256}" in history


def test_an_administrator_adds_a_root_and_waiting_files_are_checked_again(app, world, pki, signed, browser):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    work.complete(item_at(task, "draft").id, world["officer"], "submit", None, {},
                  {"draft_file": upload("du-thao.pdf", signed["once"])})
    browser.login("coord")
    assert browser.client.get("/admin/trust-roots").status_code == 403
    browser.login("admin")
    empty = browser.client.get("/admin/trust-roots").get_data(as_text=True)
    assert "Chưa có chứng thư tin cậy nào" in empty
    refused = browser.client.post("/admin/trust-roots", data={"file": (io.BytesIO(b"not a certificate"), "x.cer")},
                                  content_type="multipart/form-data")
    assert refused.status_code == 400  # no CSRF token
    token = browser.csrf("/admin/trust-roots")
    bad = browser.client.post("/admin/trust-roots", data={"csrf_token": token, "file": (io.BytesIO(b"xx"), "x.cer")},
                              content_type="multipart/form-data", follow_redirects=True)
    # said at the file box, the form still there to choose another file (a generic "invalid request" page was shown)
    assert bad.status_code == 422 and 'class="field-error">Không đọc được chứng thư số' in bad.get_data(as_text=True)
    assert 'action="/admin/trust-roots"' in bad.get_data(as_text=True) or 'name="file"' in bad.get_data(as_text=True)
    done = browser.client.post("/admin/trust-roots", data={
        "csrf_token": token, "file": (io.BytesIO(pki.root.pem), "root-ca.crt")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Đã thêm chứng thư tin cậy" in done and "Root CA thử nghiệm" in done
    # its subject in Vietnamese words (an outside check read "Common Name: …, Organization: …"), and stopping
    # trust asks first
    assert "Quốc gia: VN; Tổ chức: " in done and "Tên: Root CA thử nghiệm" in done and "Common Name" not in done
    assert "Xác nhận ngừng tin cậy" in done
    assert "Đã kiểm tra lại chữ ký số của 1 tệp" in done
    statuses = [c.status for c in db.session.scalars(select(SignatureCheck).order_by(SignatureCheck.id))]
    assert statuses == ["untrusted", "valid"]
    # the root stops being trusted (found compromised): the file it made valid says so now, not "hợp lệ" as before
    root_id = roots.listed()[0].id
    stopped = browser.client.post(f"/admin/trust-roots/{root_id}/deactivate", data={"csrf_token": token},
                                  follow_redirects=True).get_data(as_text=True)
    assert "Đã kiểm tra lại chữ ký số của 1 tệp đã hợp lệ theo chứng thư này." in stopped
    assert [c.status for c in db.session.scalars(select(SignatureCheck).order_by(SignatureCheck.id))] == [
        "untrusted", "valid", "untrusted"]
