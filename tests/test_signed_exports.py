"""Reports going out as PDF, signed by the standing agency (issue 17): the period report and the Friday pack laid
out by LibreOffice from the same .docx, a PAdES signature with a visible box under the signer's title, signing an
audited act of a person with the "signer" role. The key is a PKCS#12 file, or on a PKCS#11 token (SoftHSM2), made
here (nothing committed)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from datetime import UTC, timedelta
from pathlib import Path

import pdfplumber
import pkcs11 as python_pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from pkcs11 import Attribute, CertificateType, ObjectClass
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from models import AuditEvent, db
from tests.conftest import SCIENCE
from tests.pki import make_pki
from tests.test_exports import login, seed
from workflows import clock
from workflows.accounts import people
from workflows.signatures import check

PASSWORD = "mat-khau-khoa"


@pytest.fixture(scope="module")
def pki():
    return make_pki()


def configure_key(app, pki, path, monkeypatch, **validity):
    """The agency's key (its certificate of ``validity``, default valid now) as a .p12 file at ``path``, configured
    as SIGNING_PKCS12."""
    agency = pki.signer("SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH THANH HÓA", "Sở Khoa học và Công nghệ", **validity)
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"so-khcn", agency.key, agency.cert,
                                                           [pki.intermediate.cert, pki.root.cert],
                                                           BestAvailableEncryption(PASSWORD.encode())))
    monkeypatch.setitem(app.config, "SIGNING_PKCS12", str(path))
    monkeypatch.setitem(app.config, "SIGNING_PKCS12_PASSWORD", PASSWORD)
    return agency


@pytest.fixture
def key(app, pki, tmp_path, monkeypatch):
    return configure_key(app, pki, tmp_path / "so-khcn.p12", monkeypatch)


@pytest.fixture
def reports(world, frozen):
    seed(world, frozen)
    people.create_user("giamdoc", "mat-khau-1", SCIENCE, ["signer"], "Hoàng Văn Giám")


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def test_the_period_report_as_pdf_is_the_same_document(reports, browser):
    response = login(browser, "coord").get("/exports/report.docx?period=2026-03&as=pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert ".pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "BÁO CÁO" in text and "Tháng 03/2026" in text.replace("tháng 03/2026", "Tháng 03/2026")
    assert not PdfFileReader(io.BytesIO(response.data)).embedded_signatures  # a plain PDF is not signed


def test_a_signer_issues_the_period_report_signed_by_the_agency(reports, key, pki, browser):
    client = login(browser, "giamdoc")
    page = client.get("/exports").get_data(as_text=True)
    assert "Tải PDF có ký số của cơ quan" in page
    response = client.get("/exports/report.docx?period=2026-03&as=signed")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    report = check.read(response.data, [pki.root.asn1])
    assert report.status == "valid"
    [signature] = report.signatures
    assert (signature.signer, signature.field) == ("SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH THANH HÓA", "ChuKySoCoQuan")
    # the visible box stands on the last page, under the signer's title (NĐ 30: between the title and the name)
    with pdfplumber.open(io.BytesIO(response.data)) as document:
        last = document.pages[-1]
        boxes = [a for a in last.annots if a.get("data", {}).get("T") in (b"ChuKySoCoQuan", "ChuKySoCoQuan")]
        title = [w for w in last.extract_words() if w["text"] == "GIÁM"]
    # right under the title, centred on it — not at the foot of the page over the signer's name (the title's line
    # also holds the "Nơi nhận" column, and the box fell back to the lower right)
    assert boxes and title and 0 <= boxes[0]["top"] - title[-1]["bottom"] < 12
    assert boxes[0]["x0"] < title[-1]["x0"] < boxes[0]["x1"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_export")).one()
    assert event.actor.username == "giamdoc"
    assert event.data["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert event.data["signer"] == "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH THANH HÓA"


def test_the_friday_pack_signed_too(reports, key, pki, browser):
    response = login(browser, "giamdoc").get("/exports/week.docx?week=2026-03-20&as=signed")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert check.read(response.data, [pki.root.asn1]).status == "valid"


def test_only_a_signer_signs_and_only_with_a_key(reports, key, browser, app, monkeypatch):
    refused = login(browser, "coord").get("/exports/report.docx?period=2026-03&as=signed")
    assert refused.status_code == 403
    assert "Người ký số" in refused.get_data(as_text=True)
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_export")).all()
    monkeypatch.setitem(app.config, "SIGNING_PKCS12", None)
    unset = login(browser, "giamdoc").get("/exports/report.docx?period=2026-03&as=signed", follow_redirects=True)
    assert "Chưa cấu hình khóa ký số của cơ quan" in unset.get_data(as_text=True)
    monkeypatch.setitem(app.config, "SIGNING_PKCS12", app.config["UPLOAD_FOLDER"])  # a folder, not a key file
    wrong = login(browser, "giamdoc").get("/exports/report.docx?period=2026-03&as=signed", follow_redirects=True)
    assert "Không mở được khóa ký số" in wrong.get_data(as_text=True)


def test_an_expired_agency_key_signs_nothing(reports, pki, browser, app, tmp_path, monkeypatch):
    """A key whose certificate expired ten days ago signed the report without a word, though the product's own
    check calls such a file expired."""
    now = clock.now().replace(tzinfo=UTC)
    configure_key(app, pki, tmp_path / "het-han.p12", monkeypatch, valid_from=now - timedelta(days=400),
                  valid_to=now - timedelta(days=10))
    page = login(browser, "giamdoc").get("/exports/report.docx?period=2026-03&as=signed", follow_redirects=True)
    assert "Chứng thư số của cơ quan chỉ có hiệu lực từ" in page.get_data(as_text=True)
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_export")).all()


SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")  # Debian softhsm2, installed by `make test`
TOKEN, PIN = "SO KHCN", "246810"


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory):
    """A SoftHSM2 token holding the agency's key and certificate, as an HSM would (the key made here, imported
    once; nothing committed). SoftHSM reads its configuration when the module is first loaded in the process."""
    assert SOFTHSM.is_file(), "softhsm2 is installed by `make test` (Makefile, TEST_PACKAGES)"
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pki = make_pki("Root CA HSM thử nghiệm")
    agency = pki.signer("SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH THANH HÓA", "Sở Khoa học và Công nghệ")
    key_file = folder / "key.pem"
    key_file.write_bytes(agency.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    util = ["softhsm2-util", "--pin", PIN]
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "13579"],
                   check=True, capture_output=True)
    subprocess.run(util + ["--import", str(key_file), "--token", TOKEN, "--label", "ky-so", "--id", "01"],
                   check=True, capture_output=True)
    key_file.unlink()
    token = python_pkcs11.lib(str(SOFTHSM)).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:  # the certificate and its issuing CA's, as a CA issues them
        for label, number, cert in (("ky-so", b"\x01", agency.cert), ("ca", b"\x02", pki.intermediate.cert)):
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: number,
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER)})
    return pki


def test_a_signer_signs_with_the_agency_key_on_a_pkcs11_token(reports, softhsm, browser, app, monkeypatch):
    for name, value in (("MODULE", str(SOFTHSM)), ("TOKEN", TOKEN), ("KEY", "ky-so"), ("PIN", PIN)):
        monkeypatch.setitem(app.config, f"SIGNING_PKCS11_{name}", value)
    response = login(browser, "giamdoc").get("/exports/report.docx?period=2026-03&as=signed")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    [signature] = check.read(response.data, [softhsm.root.asn1]).signatures
    assert (signature.status, signature.signer) == ("valid", "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH THANH HÓA")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_export")).one()
    assert event.data["sha256"] == hashlib.sha256(response.data).hexdigest()
    monkeypatch.setitem(app.config, "SIGNING_PKCS11_PIN", "000000")
    wrong = login(browser, "giamdoc").get("/exports/report.docx?period=2026-03&as=signed", follow_redirects=True)
    assert "Không dùng được thiết bị ký số (token/HSM) của cơ quan" in wrong.get_data(as_text=True)
