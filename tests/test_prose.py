"""Assignments written in sentences (issue 15): every assignment in the bodies of the real fixtures, as a careful
reader lists it — who leads, who collaborates, the deadline as written, the sentence it came from — against what
``workflows.importing.prose`` proposes. The expected rows were written from reading the documents, line by line."""

from __future__ import annotations

from collections import Counter

import pytest

from demo.data import AGENCIES
from tests.conftest import FIXTURES
from workflows.importing import prose
from workflows.importing.agency_match import AgencyMatcher
from workflows.importing.agency_names import RegistryEntry
from workflows.importing.readers import read_any


def matcher() -> AgencyMatcher:
    """The demo province's registry, as the import builds it (names, aliases, short names used once)."""
    shorts = Counter(a["short_name"] for a in AGENCIES)
    return AgencyMatcher([RegistryEntry(a["name"], tuple(a["aliases"] + (
        [a["short_name"]] if shorts[a["short_name"]] == 1 else []))) for a in AGENCIES])


def proposals(prefix: str) -> list[prose.Proposal]:
    path = next(FIXTURES.glob(f"{prefix}_*.txt"))
    return prose.extract(read_any(path.name, path.read_bytes()).paragraphs, matcher().sure)


def source_line(prefix: str, line: int) -> str:
    path = next(FIXTURES.glob(f"{prefix}_*.txt"))
    return path.read_text("utf-8").splitlines()[line - 1].strip()


TOWN = "các huyện, thị, thành ủy, đảng ủy trực thuộc Tỉnh ủy"
FRONT = "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"
SOCIO = "các tổ chức chính trị - xã hội cấp tỉnh"
WITH_VPTU = "Văn phòng Tỉnh ủy và các đơn vị liên quan"

# (line in the document, lead as written, collaborators as written, deadline as written)
LETTER_000 = [
    (22, "Sở Khoa học và Công nghệ", "", ""),
    (22, "Sở Nội vụ", "", ""),
    (22, "Sở Tài chính", "", ""),
    (22, "Sở Công Thương", "", ""),
    (22, "Công an tỉnh", "", ""),
    (24, "Sở Khoa học và Công nghệ", "các đơn vị có liên quan", "trước ngày 31/3/2026"),
]
PLAN_002_SECTION_V = [
    *[(line, "Ban Chỉ đạo cấp tỉnh", "", deadline) for line, deadline in (
        (391, ""), (393, ""), (395, ""), (397, "định kỳ theo quý, 06 tháng, 01 năm"),
        (399, "định kỳ 03 tháng, 06 tháng, 01 năm"))],
    *[(line, "Thường trực Tỉnh ủy", "", "") for line in (403, 405, 407)],
    (411, TOWN, "", "hoàn thành trước ngày 15/5/2025"), (413, TOWN, "", ""), (415, TOWN, "", ""),
    *[(line, "Đảng ủy các cơ quan Đảng tỉnh", "", "") for line in (419, 421, 423)],
    *[(line, "Đảng ủy UBND tỉnh", "", "") for line in (427, 429, 431, 433)],
    (439, "Văn phòng Tỉnh ủy", "các đơn vị liên quan", ""), (441, "Văn phòng Tỉnh ủy", "", ""),
    (445, "Ban Tổ chức Tỉnh ủy", "", ""), (449, "Ban Tổ chức Tỉnh ủy", "", ""),
    (451, "Ban Tổ chức Tỉnh ủy", WITH_VPTU, ""),
    (455, "Ban Tuyên giáo và Dân vận Tỉnh ủy", "", ""),
    (457, "Ban Tuyên giáo và Dân vận Tỉnh ủy", "các đơn vị liên quan", ""),
    (459, "Ban Tuyên giáo và Dân vận Tỉnh ủy", WITH_VPTU, ""),
    (463, "Cơ quan Ủy ban Kiểm tra Tỉnh ủy", "các đơn vị liên quan", ""),
    (465, "Cơ quan Ủy ban Kiểm tra Tỉnh ủy", "", ""),
    (467, "Cơ quan Ủy ban Kiểm tra Tỉnh ủy", WITH_VPTU, ""),
    (471, "Ban Nội chính Tỉnh ủy", "", ""), (473, "Ban Nội chính Tỉnh ủy", WITH_VPTU, ""),
    *[(line, lead, collaborators, deadline) for line, collaborators, deadline in (
        (477, "", "hoàn thành trước ngày 15/5/2025"), (479, WITH_VPTU, ""), (481, "", ""), (483, "", ""),
        (485, "", "")) for lead in (FRONT, SOCIO)],
    (489, "Báo Thanh Hóa", "", ""), (489, "Đài Phát thanh và Truyền hình tỉnh", "", ""),
    (493, "Các huyện, thị, thành ủy, đảng ủy trực thuộc Tỉnh ủy, các ban, sở, ngành, Mặt trận Tổ quốc và các tổ "
          "chức chính trị - xã hội cấp tinh", "", "định kỳ hằng tháng (trước ngày 20)"),
    (495, "Ban Chỉ đạo cấp tinh", "", ""),
]


def found(prefix: str, first: int = 0, last: int = 10**6) -> list[tuple]:
    return [(p.line, p.lead, p.collaborators, p.deadline) for p in proposals(prefix)
            if p.is_task and first <= p.line <= last]


def test_the_letter_s_two_points_are_six_tasks():
    assert found("000") == LETTER_000
    for p in proposals("000"):
        assert p.source == source_line("000", p.line)  # the sentence verbatim, for the preview to quote


@pytest.mark.parametrize("expected", PLAN_002_SECTION_V, ids=lambda e: f"line {e[0]} {e[1][:20]}")
def test_every_responsibility_of_the_plan_s_section_v(expected):
    assert expected in found("002", 387, 497)


def test_section_v_proposes_nothing_a_careful_reader_would_not():
    extra = [row for row in found("002", 387, 497) if row not in PLAN_002_SECTION_V]
    assert extra == []


def test_sentences_without_an_addressee_are_listed_not_dropped():
    """Purposes and principles name nobody: each is listed as not a task, with its text, for the coordinator."""
    listed = [p for p in proposals("002") if not p.is_task]
    assert listed and all(p.notes == [prose.NOT_A_TASK] and p.source for p in listed)
    assert any(p.source.startswith("- Quán triệt, triển khai thực hiện nghiêm túc") for p in listed)
    assert not any(p.line and p.line < 13 for p in proposals("002"))  # the heading block is not a sentence


def test_the_addressees_of_a_letter_and_what_follows_its_signature_are_not_sentences():
    lines = {p.line for p in proposals("000")}
    assert not lines & {15, 16, 17}  # "Kính gửi: - Các sở: …; - Công an tỉnh."
    assert max(lines) < 28  # "Nơi nhận:" ends the body


@pytest.mark.parametrize(("sentence", "lead", "collaborators", "deadline", "what"), [
    ("- Sở Nông nghiệp và Môi trường: chủ trì xây dựng Đề án phát triển nông nghiệp số, hoàn thành trong "
     "tháng 6/2026.", "Sở Nông nghiệp và Môi trường", "", "hoàn thành trong tháng 6/2026",
     "Xây dựng Đề án phát triển nông nghiệp số, hoàn thành trong tháng 6/2026"),
    ("Giao Sở Nội vụ chủ trì, phối hợp với Công an tỉnh, Sở Tài chính xây dựng Quy chế phối hợp, hoàn thành "
     "trước ngày 30/6/2026.", "Sở Nội vụ", "Công an tỉnh, Sở Tài chính", "hoàn thành trước ngày 30/6/2026",
     "Xây dựng Quy chế phối hợp, hoàn thành trước ngày 30/6/2026"),
    ("Đề nghị Ủy ban MTTQ Việt Nam tỉnh tuyên truyền, vận động Nhân dân tham gia.", "Ủy ban MTTQ Việt Nam tỉnh",
     "", "", "Tuyên truyền, vận động Nhân dân tham gia"),
])
def test_one_sentence_each_way_of_assigning(sentence, lead, collaborators, deadline, what):
    [p] = prose.extract([prose.Paragraph(1, sentence)], matcher().sure)
    assert (p.lead, p.collaborators, p.deadline, p.what) == (lead, collaborators, deadline, what)


def test_several_leads_in_one_sentence_give_one_task_each():
    found_ = prose.extract([prose.Paragraph(1, "- Sở Y tế, Sở Giáo dục và Đào tạo: hướng dẫn chuyển đổi số "
                                               "trong ngành, hằng năm báo cáo kết quả.")], matcher().sure)
    assert [p.lead for p in found_] == ["Sở Y tế", "Sở Giáo dục và Đào tạo"]
    assert len({p.label for p in found_}) == 2  # each keeps its own place in the preview


def test_a_collective_name_is_one_task():
    [p] = prose.extract([prose.Paragraph(1, "Yêu cầu các sở, ban, ngành: rà soát thủ tục hành chính, hoàn thành "
                                            "trước ngày 15/7/2026.")], matcher().sure)
    assert p.lead == "các sở, ban, ngành" and p.deadline == "hoàn thành trước ngày 15/7/2026"
