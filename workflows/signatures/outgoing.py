"""Documents going out: a .docx report turned into PDF by LibreOffice (the same document, laid out by a word
processor, rather than a second renderer of our own), then signed by the standing agency — a PAdES signature with
a visible box where NĐ 30/2020 puts the signature: under the signer's title, above their name, on the last page.

The key is a PKCS#11 token or HSM where one is configured (``SIGNING_PKCS11_MODULE``, ``…_TOKEN``, ``…_KEY``,
``…_PIN``: the key never leaves the device), otherwise a PKCS#12 file (``SIGNING_PKCS12``,
``SIGNING_PKCS12_PASSWORD``). Signing is an audited act of a named person with the ``signer`` role; the signed
bytes' sha256 is in the audit event.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pdfplumber
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, pkcs11, signers
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from models import User
from workflows import audit, clock, settings
from workflows.errors import N_, DomainError, Invalid, NotAllowed
from workflows.signatures import off_loop

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core: Vietnamese glyphs
BOX_WIDTH, BOX_HEIGHT = 200, 58
FIELD = "ChuKySoCoQuan"
NO_LIBREOFFICE = N_("Máy chủ chưa cài LibreOffice nên chưa tạo được bản PDF; vui lòng tải bản .docx hoặc báo quản "
                  "trị viên (README, mục “Ký số”).")
CONVERSION_FAILED = N_("Không chuyển được báo cáo sang PDF; vui lòng thử lại hoặc tải bản .docx.")
NO_KEY = N_("Chưa cấu hình khóa ký số của cơ quan (SIGNING_PKCS12): quản trị viên cần khai báo tệp khóa .p12 trước khi "
          "ký báo cáo.")
BAD_KEY = N_("Không mở được khóa ký số của cơ quan: tệp khóa hoặc mật khẩu không đúng.")
OUT_OF_DATE = N_("Chứng thư số của cơ quan chỉ có hiệu lực từ %(start)s đến %(end)s: quản trị viên cần thay khóa ký số "
                 "trước khi ký báo cáo (một báo cáo ký bằng chứng thư hết hạn không được công nhận).")
BAD_TOKEN = N_("Không dùng được thiết bị ký số (token/HSM) của cơ quan: kiểm tra thiết bị đã cắm, nhãn khóa và mã PIN "
               "(SIGNING_PKCS11_…).")
_profile_lock = threading.Lock()  # one LibreOffice at a time per process: it keeps its profile locked while running


class Unavailable(DomainError):
    """The server lacks what the request needs (LibreOffice); the same request will work once it is installed."""

    status = 503


def to_pdf(docx: bytes) -> bytes:
    """The .docx laid out as PDF by LibreOffice headless."""
    profile = Path(tempfile.gettempdir()) / f"lo-profile-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="xuat-pdf-") as work, _profile_lock:
        source = Path(work) / "bao-cao.docx"
        source.write_bytes(docx)
        command = [settings.get("SOFFICE"), "--headless", "--norestore", "--nolockcheck",
                   f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf", "--outdir", work, str(source)]
        try:
            subprocess.run(command, capture_output=True, timeout=180, check=True)
        except FileNotFoundError as exc:
            raise Unavailable(NO_LIBREOFFICE) from exc
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise Invalid(CONVERSION_FAILED) from exc
        result = source.with_suffix(".pdf")
        if not result.is_file():
            raise Invalid(CONVERSION_FAILED)
        return result.read_bytes()


@contextlib.contextmanager
def signing_key() -> Iterator[signers.Signer]:
    """The agency's signer: on its PKCS#11 token, opened for the signing and closed after, or from its PKCS#12
    file; the certificate is read here, so that a wrong label or PIN is told before anything is laid out."""
    module = settings.get("SIGNING_PKCS11_MODULE")
    if module:
        label = settings.get("SIGNING_PKCS11_KEY")
        try:
            session = pkcs11.open_pkcs11_session(module, token_criteria=TokenCriteria(
                label=settings.get("SIGNING_PKCS11_TOKEN")), user_pin=settings.get("SIGNING_PKCS11_PIN"))
        except Exception as exc:  # python-pkcs11 raises a class per PKCS#11 return code, and OSError for the module
            raise Invalid(BAD_TOKEN) from exc
        try:
            try:
                cert = pkcs11.PKCS11Signer(session, cert_label=label).signing_cert
            except Exception as exc:
                raise Invalid(BAD_TOKEN) from exc
            # the CA certificates kept on the token go into the signature (the chain a reader needs); many tokens
            # (SoftHSM 2.6 among them) hash nothing for ECDSA: pyHanko hashes, the token signs the hash
            yield pkcs11.PKCS11Signer(session, signing_cert=cert, key_label=label, other_certs_to_pull=None,
                                      use_raw_mechanism=cert.public_key.algorithm == "ec")
        finally:
            session.close()
        return
    path, password = settings.get("SIGNING_PKCS12"), settings.get("SIGNING_PKCS12_PASSWORD")
    if not path:
        raise Invalid(NO_KEY)
    try:
        signer = signers.SimpleSigner.load_pkcs12(path, passphrase=password.encode() if password else None)
    except (OSError, ValueError) as exc:
        raise Invalid(BAD_KEY) from exc
    if signer is None:
        raise Invalid(BAD_KEY)
    yield signer


def _box(pdf: bytes, title: str | None) -> tuple[int, tuple[float, float, float, float]]:
    """The last page, and the box under the signer's title on it (NĐ 30: the signature between the title and
    the name); the lower right of the page when the title is not found."""
    last = (title or "").split("\n")[-1].strip().upper()
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[-1]
        index, height, width = len(document.pages) - 1, float(page.height), float(page.width)
        # the title's words where they stand — a line of the page also holds the "Nơi nhận" column beside them
        found = page.search(re.escape(last), regex=True, case=True, return_chars=False) if last else []
    if found:
        line = found[-1]
        middle = (line["x0"] + line["x1"]) / 2
        left, top = middle - BOX_WIDTH / 2, height - line["bottom"] - 4
    else:
        left, top = width - 72 - BOX_WIDTH, 72 + BOX_HEIGHT + 40
    return index, (left, top - BOX_HEIGHT, left + BOX_WIDTH, top)


def _appearance(lines: list[str], folder: str) -> str:
    """The visible signature: a one-page PDF the size of the box, with the signer, the agency and the time."""
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", FONT))
    path = os.path.join(folder, "chu-ky.pdf")
    page = canvas.Canvas(path, pagesize=(BOX_WIDTH, BOX_HEIGHT))
    page.setStrokeColor(HexColor("#b3261e"))
    page.setFillColor(HexColor("#b3261e"))
    page.rect(1, 1, BOX_WIDTH - 2, BOX_HEIGHT - 2)
    for n, text in enumerate(lines):
        page.setFont("DejaVuSans", 7.5)
        page.drawString(6, BOX_HEIGHT - 14 - 11 * n, text[:52])
    page.save()
    return path


def sign(pdf: bytes, actor: User, document: str, title: str | None = None) -> bytes:
    """``pdf`` signed with the agency's key by ``actor`` (a person with the ``signer`` role); audited."""
    if not actor.has_role("signer"):
        raise NotAllowed("Chỉ người được giao quyền ký số (vai trò “Người ký số”) được ký báo cáo.")
    with signing_key() as key:
        _in_date(key.signing_cert)
        signed, names, serial = _signed(pdf, key, document, title, actor)
    audit.record("sign_export", actor, data={"document": document, "sha256": hashlib.sha256(signed).hexdigest(),
                                             "signer": names.get("common_name"), "serial": serial})
    return signed


def _in_date(cert) -> None:
    """Invalid when the agency's certificate is not valid today: the product never issues a report its own check
    (and any reader's) would call expired."""
    start, end = cert.not_valid_before, cert.not_valid_after
    if not start <= clock.now().replace(tzinfo=UTC) <= end:
        raise Invalid(OUT_OF_DATE, start=f"{clock.to_local(start):%d/%m/%Y}", end=f"{clock.to_local(end):%d/%m/%Y}")


def _signed(pdf: bytes, key: signers.Signer, document: str, title: str | None, actor: User
            ) -> tuple[bytes, dict, str]:
    names = key.signing_cert.subject.native
    moment = clock.to_local(clock.now())
    lines = [f"Ký bởi: {names.get('common_name', '')}", f"Cơ quan: {names.get('organization_name', '')}",
             f"Người thực hiện: {actor.full_name}", f"Thời gian ký: {moment:%d/%m/%Y %H:%M:%S}"]
    page, box = _box(pdf, title)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    fields.append_signature_field(writer, fields.SigFieldSpec(FIELD, on_page=page, box=box))
    meta = signers.PdfSignatureMetadata(field_name=FIELD, reason=f"Phát hành {document}",
                                        location=settings.get("REPORT_PLACE"),
                                        subfilter=fields.SigSeedSubFilter.PADES)
    with tempfile.TemporaryDirectory(prefix="ky-so-") as folder:
        style = StaticStampStyle.from_pdf_file(_appearance(lines, folder), border_width=0)
        signed = off_loop(signers.PdfSigner(meta, signer=key, stamp_style=style).sign_pdf, writer).getvalue()
    return signed, names, format(key.signing_cert.serial_number, "X")
