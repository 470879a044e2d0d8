"""Guess the deliverable type of a task from its "Kết quả/sản phẩm" text (and its title).

The type routes the task (DOMAIN.md, "Deliverable types and their approval path"). The guess
reads the output text, accent- and case-insensitively, and takes the keyword that comes first:
the first deliverable named is the one the task is about ("Tờ trình báo cáo UBND tỉnh" is a
submission, "Báo cáo cấp có thẩm quyền kết quả thực hiện" a report, "- Phê duyệt Đề án;
- Hoàn thành triển khai" a plan). Longer phrases win over the words inside them ("Quyết định
phê duyệt dự án" is a project, not a decision). The title is read when the output says too
little: empty, a deadline that slipped into the column, or a bare "Quyết định (phê duyệt)"
that does not say what is approved. Anything else is a "result" with a low confidence, for a
person to confirm.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from workflows.text import fold_words

OUTPUT_TYPES = ("plan", "decision", "project", "submission", "report", "letter", "coordination", "result")

# (folded phrase as a regex, type, confidence). Where two phrases start at the same place the
# longer one wins; the reason quotes the words as written.
_PLAN_NOUNS = r"(de an|ke hoach|chuong trinh|quy hoach|chien luoc|nghi quyet|quy che)"
_RULES: tuple[tuple[str, str, float], ...] = (
    (r"quyet dinh phe duyet (du an|chu truong dau tu)", "project", 0.95),
    (r"quyet dinh phe duyet " + _PLAN_NOUNS, "plan", 0.9),
    (r"quyet dinh dau tu", "project", 0.9),
    (r"chu truong dau tu", "project", 0.9),
    (r"phe duyet du an", "project", 0.9),
    (r"du an", "project", 0.85),
    (r"quyet dinh (thanh lap|kien toan)", "decision", 0.95),
    (r"quyet dinh ban hanh", "decision", 0.9),
    (r"quyet dinh phe duyet", "decision", 0.85),
    (r"quyet dinh", "decision", 0.85),
    (r"phe duyet " + _PLAN_NOUNS, "plan", 0.9),
    (r"de an|ke hoach|nghi quyet|quy che", "plan", 0.9),
    (r"chuong trinh|chien luoc", "plan", 0.85),
    (r"quy hoach", "plan", 0.8),
    (r"(xay dung|ban hanh|soan thao) (co che )?chinh sach", "plan", 0.8),  # a policy, not its roll-out
    (r"to trinh", "submission", 0.95),
    (r"bao cao", "report", 0.9),
    (r"van ban|cong van", "letter", 0.85),
    (r"(tai lieu )?huong dan|(tham gia )?y kien", "letter", 0.8),
    (r"tham muu|de xuat", "letter", 0.6),
    (r"phoi hop (thuc hien|voi)", "coordination", 0.85),
    (r"thanh lap|kien toan", "decision", 0.6),
    (r"hoan thanh", "result", 0.85),
    (r"bai viet|phong su|chuyen trang|chuyen muc|tin bai", "result", 0.85),
    (r"su kien|ngay hoi|hoi nghi|hoi thao|dien dan|toa dam", "result", 0.8),
    (r"to chuc|trien khai|hoan thien|cong bo|ket noi|van hanh|dua vao", "result", 0.6),
)
_COMPILED = tuple((re.compile(rf"\b(?:{p})\b"), t, c) for p, t, c in _RULES)
# Words that name no deliverable, though a rule's words are in them: the document itself or one already issued
# ("tại Công văn này", "theo Kế hoạch số 266-KH/TU"), a manner ("hoàn thành đúng thời hạn"), verbs ("hướng dẫn,
# đôn đốc, theo dõi"). Read past, word for word, so the words quoted stay the words written.
_NO_DELIVERABLE = re.compile(
    r"\b(?:(?:cong van|van ban|ke hoach|quyet dinh|nghi quyet|chi thi|thong bao|chuong trinh|de an|to trinh) "
    r"(?:nay|tren|so \S+)|hoan thanh dung (?:thoi )?han|huong dan don doc)\b")

# A decision that does not say what it decides: "Quyết định", "Quyết định phê duyệt",
# "Quyết định (phê duyệt) của UBND tỉnh", "Quyết định của Ban".
_BARE_DECISION = re.compile(r"^quyet dinh( phe duyet)?( cua .*)?$")
# Text that is a deadline or a recurrence, not an output (a cell shifted at a page break).
_NOT_AN_OUTPUT = re.compile(
    r"^((nhiem vu )?thuong xuyen|hang nam|(hoan thanh )?(trong |truoc )?(ngay |thang |quy |nam )?"
    r"[\divx/ ]+( nam \d+)?)$"
)
_TAGS = re.compile(r"<[^>]*>")
_RAW_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")
# Several deliverables in one cell: "Hội nghị; văn bản hướng dẫn", "(1) …; (2) …", "- …; - …".
_ITEM_SEPARATORS = re.compile(r"[;,\n]|(?:^|\s)-\s|\(\d+\)")
_LABELS = {
    "plan": "Kế hoạch/Đề án", "decision": "Quyết định", "project": "Dự án", "submission": "Tờ trình",
    "report": "Báo cáo", "letter": "Văn bản", "coordination": "Phối hợp thực hiện", "result": "Hoàn thành",
}


@dataclass
class OutputGuess:
    output_type: str  # one of OUTPUT_TYPES
    confidence: float  # 0..1
    reason: str  # Vietnamese, e.g. "có từ “Đề án”"


def guess_output_type(output_text: str | None, title: str | None = None) -> OutputGuess:
    """Guess the deliverable type from the expected output, falling back on the task title."""
    raw = _TAGS.sub(" ", output_text or "")
    raw_title = _TAGS.sub(" ", title or "")
    output = fold_words(raw)
    if not output or _NOT_AN_OUTPUT.match(output):
        found = _first(raw_title)
        if found is None:
            return OutputGuess("result", 0.2, "không có kết quả/sản phẩm rõ ràng; cần người xác nhận loại sản phẩm")
        output_type, confidence, shown = found
        return OutputGuess(output_type, round(min(confidence, 0.8) * 0.7, 2),
                           f"kết quả/sản phẩm không nói rõ; tên nhiệm vụ có từ “{shown}”")
    if _BARE_DECISION.match(output):
        found = _first(raw_title, kinds=("plan", "project"))
        if found is None:
            return OutputGuess("decision", 0.85, "có từ “Quyết định”")
        return OutputGuess(found[0], 0.75, f"“Quyết định” không nói quyết định gì; tên nhiệm vụ có từ “{found[2]}”")
    items = [found for item in _ITEM_SEPARATORS.split(raw) if (found := _first(item))]
    if not items:
        return OutputGuess("result", 0.3, "không thấy loại sản phẩm nào trong kết quả; tạm coi là “Hoàn thành”")
    output_type, confidence, shown = items[0]
    reason = f"có từ “{shown}”"
    others = list(dict.fromkeys(t for t, c, _ in items[1:] if t != output_type and c >= 0.8))
    if others:  # several deliverables: the first one named leads, a person may prefer another
        confidence -= 0.15
        reason += "; kết quả còn nêu " + ", ".join(f"“{_LABELS[o]}”" for o in others) + ", lấy sản phẩm nêu trước"
    return OutputGuess(output_type, round(confidence, 2), reason)


def _first(text: str, kinds: tuple[str, ...] = OUTPUT_TYPES) -> tuple[str, float, str] | None:
    """The type named first in a text (longest phrase first), its confidence and the words as written.

    A weak word naming the type first ("Tổ chức các sự kiện") gives way, for the confidence and
    the words quoted, to a stronger one for the same type later in the text ("sự kiện").
    """
    key = _NO_DELIVERABLE.sub(lambda m: " ".join("_" * len(w) for w in m.group().split()), fold_words(text))
    hits = []
    for pattern, output_type, confidence in _COMPILED:
        if output_type in kinds:
            hits.extend((m.start(), m.start() - m.end(), output_type, confidence) for m in pattern.finditer(key))
    if not hits:
        return None
    output_type = min(hits)[2]
    confidence, start, length = max((c, -s, -n) for s, n, t, c in hits if t == output_type)
    return output_type, confidence, _as_written(text, key, -start, length - start)


def _as_written(text: str, key: str, start: int, end: int) -> str:
    """The words of text behind key[start:end] (key = fold_words(text)), as they are written."""
    words = _RAW_WORD.findall(unicodedata.normalize("NFC", text))
    if len(words) != len(key.split()):
        return key[start:end]
    first, count = key[:start].count(" "), key[start:end].count(" ") + 1
    shown = " ".join(words[first:first + count])
    return shown[:1].upper() + shown[1:]
