"""Issue 17: an administrator trusts the government CA's root; the approver files the signed decision at "Phê
duyệt" and the task page names the signer; a copy changed after signing is refused, with the reason in Vietnamese.

The certificates and the signed PDF are made here (tests/pki.py): no key material is committed.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.pki import make_pki, pdf, sign, tamper

APPROVE = "Phê duyệt"
FIELD = "Quyết định phê duyệt (PDF có chữ ký số)"
DECISION = ["QUYET DINH", "Phe duyet De an", "So 88/QD-UBND"]


def documents() -> dict[str, bytes]:
    pki = make_pki()
    signed = sign(pdf(DECISION), pki.signer("Nguyễn Văn A", "UBND tỉnh Thanh Hóa"), pki)
    return {"root": pki.root.pem, "signed": signed, "tampered": tamper(signed, b"QUYET DINH")}


def test_the_approver_files_a_signed_decision_and_a_tampered_copy_is_refused(login_as, shot, tmp_path):
    files = documents()  # (pyHanko's signing runs on a thread of its own beside Playwright's loop: off_loop)
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / {"root": "root-ca.crt", "signed": "quyet-dinh-88.pdf",
                                  "tampered": "quyet-dinh-88-ban-sua.pdf"}[name]
        paths[name].write_bytes(content)

    admin = login_as("quantri")
    admin.get_by_role("navigation").get_by_role("link", name="Chứng thư tin cậy").click()
    expect(admin.get_by_role("main")).to_contain_text("Chưa có chứng thư tin cậy nào")
    admin.get_by_label("Tệp chứng thư (.cer, .crt, .pem)").set_input_files(paths["root"])
    admin.get_by_role("button", name="Thêm vào danh sách tin cậy").click()
    expect(admin.get_by_role("status").filter(has_text="Đã thêm chứng thư tin cậy")).to_be_visible()
    expect(admin.get_by_role("table")).to_contain_text("Root CA thử nghiệm")
    shot(admin, "admin-trust-root")

    approver = login_as("pheduyet")
    row = approver.get_by_role("table", name="Danh sách việc cần xử lý").get_by_role("row").filter(has_text=APPROVE)
    row.first.locator('a[href^="/tasks/"]').first.click()
    task_url = approver.url.split("#")[0]
    form = approver.get_by_role("region", name=f"Việc của bạn: {APPROVE}")
    form.get_by_label(FIELD).set_input_files(paths["tampered"])
    form.get_by_role("button", name="Đồng ý", exact=True).click()
    expect(approver.get_by_role("main")).to_contain_text("Tài liệu đã bị sửa sau khi ký")
    shot(approver, "approver-tampered-refused")

    form = approver.get_by_role("region", name=f"Việc của bạn: {APPROVE}")
    form.get_by_label(FIELD).set_input_files(paths["signed"])
    with approver.expect_navigation():
        form.get_by_role("button", name="Đồng ý", exact=True).click()
    approver.goto(task_url)
    attachments = approver.get_by_role("region", name="Tệp đính kèm")
    expect(attachments).to_contain_text("quyet-dinh-88.pdf")
    expect(attachments).to_contain_text("Chữ ký số hợp lệ")
    expect(attachments).to_contain_text(re.compile(r"Nguyễn Văn A, UBND tỉnh Thanh Hóa, \d\d/\d\d/\d{4} \d\d:\d\d"))
    expect(attachments).not_to_contain_text("quyet-dinh-88-ban-sua.pdf")  # the refused copy was not kept
    expect(approver.get_by_role("region", name="Lịch sử xử lý")).to_contain_text("Kiểm tra chữ ký số")
    shot(approver, "task-page-signer")
