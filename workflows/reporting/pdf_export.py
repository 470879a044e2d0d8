"""An export as PDF: the .docx laid out by LibreOffice, signed by the standing agency when asked."""

from __future__ import annotations

import re

from models import User
from workflows.reporting import nd30
from workflows.reporting.exporting import ExportFile
from workflows.signatures import outgoing
from workflows.tx import transaction

PDF_MIME = "application/pdf"


def as_pdf(file: ExportFile, actor: User, sign: bool = False, signer: nd30.Signer | None = None) -> ExportFile:
    """The .docx export laid out as PDF; with ``sign``, signed with the standing agency's key by ``actor`` under
    the signer's title (audited, one transaction)."""
    pdf = outgoing.to_pdf(file.data)
    if sign:
        title = (signer or nd30.configured_signer()).title_lines()[-1]
        with transaction():
            pdf = outgoing.sign(pdf, actor, file.filename, title)
    return ExportFile(pdf, re.sub(r"\.docx$", "", file.filename) + (" (ký số)" if sign else "") + ".pdf", PDF_MIME)
