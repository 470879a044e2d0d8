"""Agency cells of the real documents (shared/fixtures) resolved against the demo registry."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import pytest

from demo.data import AGENCIES
from tests.conftest import FIXTURES
from workflows.importing.agency_match import AgencyMatcher, level_conflict
from workflows.importing.agency_names import (
    CENTRAL,
    COLLECTIVE_PATTERNS,
    GROUP_ALL_LEVELS,
    GROUP_BUSINESSES,
    GROUP_COMMUNES,
    GROUP_FRONT,
    GROUP_PARTY_BOARDS,
    GROUP_PARTY_UNITS,
    GROUP_PROVINCES,
    GROUP_PROVINCIAL,
    GROUP_RELATED,
    PROVINCIAL,
    RegistryEntry,
    defined_names,
    document_level,
    group_kind,
    registry_from_rows,
)
from workflows.text import fold_words as normalize

REGISTRY = registry_from_rows(AGENCIES)
NAMES = {entry.name for entry in REGISTRY}
MATCHER = AgencyMatcher(REGISTRY)
# The same agencies without any alias: typos and truncations must still not create agencies.
BARE = AgencyMatcher([RegistryEntry(entry.name) for entry in REGISTRY])

SCIENCE = "Sở Khoa học và Công nghệ"
FINANCE = "Sở Tài chính"
HOME = "Sở Nội vụ"
POLICE = "Công an tỉnh"
PARTY_OFFICE = "Văn phòng Tỉnh ủy"


def fixture_cells() -> list[tuple[str, int, str]]:
    """Every non-empty lead/collaborator cell of the fixtures' tables, as (file, line, cell).

    A row whose first cell is "STT" is a header: the lead column says "chủ trì", the collaborator
    column "phối hợp". In the indicator table (Phụ lục I) the lead column is the last one and the
    value columns do not line up with the header, so its lead cell is the row's last filled cell
    that has letters and no digit (a number, "Có" or "Năm 2045" is a value, not an agency).
    """
    cells = []
    for path in sorted(FIXTURES.glob("*.txt")):
        columns: list[int] = []
        last_column = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = line.split("\t")
            if row[0].strip() == "STT":
                header = [c.strip().lower() for c in row]
                columns = [i for i, c in enumerate(header) if "chủ trì" in c or "phối hợp" in c]
                last_column = bool(columns) and not any(header[columns[-1] + 1:])
                continue
            if not columns or len(row) < 2:
                continue
            if last_column:
                filled = [c.strip() for c in row if c.strip()]
                picked = filled[-1:] if len(filled) > 1 else []
                picked = [c for c in picked if re.search(r"[^\W\d_]", c) and not re.search(r"\d", c)]
            else:
                picked = [row[i].strip() for i in columns if i < len(row) and row[i].strip()]
            cells.extend((path.name, number, cell) for cell in picked)
    return cells


CELLS = fixture_cells()


def test_the_fixture_cells_are_all_found():
    assert len(CELLS) > 350
    assert {name for name, _, _ in CELLS} == {p.name for p in FIXTURES.glob("*.txt")}
    texts = {cell for _, _, cell in CELLS}
    for cell in ("Sở Y tế; Sở Giáo dục và Đào tạo; Sở Xây dựng; Bảo hiểm xã hội Khu vực VI",
                 "Üy Ban kiểm tra Tỉnh ủy", "Văn UBND tỉnh; Sở Nội vụ; Công an tỉnh",
                 "Tổ Giúp việc Ban Chỉ đạo (Cơ quan thường trực là Sở Khoa học và Công nghệ)"):
        assert cell in texts


# (cell exactly as in the fixtures, agencies, groups, pieces for review, notes)
CASES = [
    ("Sở Khoa học và Công nghệ; Công an tinh; các đơn vị có liên quan",
     [SCIENCE, POLICE], [GROUP_RELATED], [], []),
    ("Üy Ban kiểm tra Tỉnh ủy", ["Ủy ban Kiểm tra Tỉnh ủy"], [], [], []),
    ("Văn phòng Tỉnh uy; Sở Khoa học và Công nghệ; Sở Tài chính", [PARTY_OFFICE, SCIENCE, FINANCE], [], [], []),
    ("Văn UBND tỉnh; Sở Nội vụ; Công an tỉnh", ["Văn phòng UBND tỉnh", HOME, POLICE], [], [], []),
    ("Sở Văn hóa, Thể thao và Du lịch", ["Sở Văn hóa, Thể thao và Du lịch"], [], [], []),
    ("Sở Khoa học và Công nghệ; Sở Nông nghiệp và Môi trường; Công an tỉnh và các đơn vị liên quan",
     [SCIENCE, "Sở Nông nghiệp và Môi trường", POLICE], [GROUP_RELATED], [], []),
    ("Sở Tài chính; Sở Khoa học và Công nghệ và các đơn vị liên quan", [FINANCE, SCIENCE], [GROUP_RELATED], [], []),
    ("Công an tỉnh, Văn phòng UBND tỉnh", [POLICE, "Văn phòng UBND tỉnh"], [], [], []),
    ("Các sở, ban, ngành, địa phương", [], [GROUP_PROVINCIAL, GROUP_COMMUNES], [], []),
    ("Các sở, ngành, và các địa phương", [], [GROUP_PROVINCIAL, GROUP_COMMUNES], [], []),
    ("Các sở, ngành cấp tỉnh, các địa phương", [], [GROUP_PROVINCIAL, GROUP_COMMUNES], [], []),
    ("Sở Nội vụ; các sở, ngành cấp tỉnh và UBND cấp xã", [HOME], [GROUP_PROVINCIAL, GROUP_COMMUNES], [], []),
    ("UBND các xã, phường báo cáo, thực hiện theo chỉ đạo của Đảng ủy xã, phường",
     [], [GROUP_COMMUNES], [], ["báo cáo, thực hiện theo chỉ đạo của Đảng ủy xã, phường"]),
    ("Tổ Giúp việc Ban Chỉ đạo (Cơ quan thường trực là Sở Khoa học và Công nghệ)",
     [SCIENCE], [], [], ["(Cơ quan thường trực là Sở Khoa học và Công nghệ)"]),
    ("Văn phòng Tỉnh ủy; Sở Khoa học và Công nghệ; các ban, sở, ngành, Sở Tài chính",
     [PARTY_OFFICE, SCIENCE, FINANCE], [GROUP_PROVINCIAL], [], []),
    ("Sở Nội vụ, Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh; các sở, ngành, đơn vị liên quan",
     [HOME, "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh"], [GROUP_PROVINCIAL, GROUP_RELATED], [], []),
    ("Các cấp ủy, chính quyền; Ủy ban MTTQ, các đoàn thể chính trị - xã hội cấp tỉnh",
     ["Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"], [GROUP_ALL_LEVELS, GROUP_FRONT], [], []),
    ("Các cấp ủy, chính quyền, MTTQ, các đoàn thể", [], [GROUP_ALL_LEVELS, GROUP_FRONT], [], []),
    ("Các đảng ủy trực thuộc Tỉnh ủy; Văn phòng Tỉnh ủy; Cơ quan UBKT Tỉnh ủy; các Ban của Tỉnh ủy",
     [PARTY_OFFICE, "Ủy ban Kiểm tra Tỉnh ủy"], [GROUP_PARTY_UNITS, GROUP_PARTY_BOARDS], [], []),
    ("Ban Quản lý Khu Kinh tế Nghi sơn và các KCN", ["Ban Quản lý Khu Kinh tế Nghi Sơn và các Khu công nghiệp"],
     [], [], []),
    ("Sở Y tế; Sở Giáo dục và Đào tạo; Sở Xây dựng; Bảo hiểm xã hội Khu vực VI",
     ["Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Xây dựng", "Bảo hiểm xã hội Khu vực VI"], [], [], []),
    ("Báo Thanh Hóa; Đài PTTT tỉnh; các ban, sở, ngành, địa phương, đơn vị liên quan",
     ["Báo Thanh Hóa", "Đài Phát thanh và Truyền hình tỉnh"], [GROUP_PROVINCIAL, GROUP_COMMUNES, GROUP_RELATED], [],
     []),
    ("Sở Khoa học và Công nghệ; Viện Nông nghiệp tinh; các trường đại học, cao đẳng",
     [SCIENCE, "Viện Nông nghiệp Thanh Hóa"], ["Các trường đại học, cao đẳng"], [], []),
    ("Địa phương được lựa chọn", [], [GROUP_COMMUNES], [], []),
    ("Các doanh nghiệp Viễn thông - Công nghệ thông tin; các địa phương", [], [GROUP_BUSINESSES, GROUP_COMMUNES],
     [], []),
    # a page break cut "Sở Tài chính, Các sở, ban, ngành, địa phương" in two rows (003, task 4)
    ("Sở Tài chính, Các sở, ban,", [FINANCE], [GROUP_PROVINCIAL], [], []),
    ("ngành, địa phương", [], [GROUP_COMMUNES], ["ngành"], []),
    # a row shifted at a page break: the output sits in the collaborator column (002, Phụ lục III)
    ("Quyết định phê duyệt dự án", [], [], ["Quyết định phê duyệt dự án"], []),
    # the addressees and the body of the letter 000
    ("- Các sở: Khoa học và Công nghệ, Nội vụ, Tài chính, Công Thương;\n- Công an tỉnh.",
     [SCIENCE, HOME, FINANCE, "Sở Công Thương", POLICE], [], [], []),
    ("các sở, ngành: Khoa học và Công nghệ, Nội vụ, Tài chính, Công Thương, Công an tỉnh",
     [SCIENCE, HOME, FINANCE, "Sở Công Thương", POLICE], [], [], []),
    ("Ban Chỉ đạo cấp tỉnh về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
     ["Ban Chỉ đạo cấp tỉnh về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số"], [], [], []),
]


@pytest.mark.parametrize(("cell", "agencies", "groups", "review", "notes"), CASES)
def test_real_cells(cell, agencies, groups, review, notes):
    resolution = MATCHER.resolve(cell)
    assert resolution.agencies == agencies
    assert resolution.groups == groups
    assert [m.text for m in resolution.review] == review
    assert resolution.notes == notes


@pytest.mark.parametrize(("piece", "name"), [
    ("Công an tinh", POLICE),
    ("Üy Ban kiểm tra Tỉnh ủy", "Ủy ban Kiểm tra Tỉnh ủy"),
    ("Văn phòng Tỉnh uy", PARTY_OFFICE),
    ("Ban Tuyên Giáo và Dân vận Tỉnh ủy", "Ban Tuyên giáo và Dân vận Tỉnh ủy"),
    ("Sở Công thương", "Sở Công Thương"),
    ("Sở Khoa học và Công ngh", SCIENCE),  # DOMAIN.md: a truncation
    ("Văn UBND tỉnh", "Văn phòng UBND tỉnh"),  # DOMAIN.md: a word lost
])
def test_ocr_errors_and_truncations_resolve_without_the_aliases(piece, name):
    for matcher in (MATCHER, BARE):
        m = matcher.match(piece)
        assert (m.name, m.kind in ("exact", "alias", "fuzzy"), m.score >= matcher.threshold) == (name, True, True)


def test_accent_and_case_errors_are_exact_matches():
    assert MATCHER.match("CÔNG AN TINH").kind == "exact"
    assert MATCHER.match("Văn phòng Tỉnh uy").kind == "exact"
    assert MATCHER.match("Văn UBND tỉnh").kind == "alias"
    assert BARE.match("Văn UBND tỉnh").kind == "fuzzy"


@pytest.mark.parametrize(("piece", "candidate"), [
    ("Văn phòng HĐND tỉnh", "Văn phòng UBND tỉnh"),  # another body, one word apart
    ("Bảo hiểm xã hội Khu vực VII", "Bảo hiểm xã hội Khu vực VI"),  # another region
    ("Văn phòng Tỉnh", None),  # Văn phòng [UBND] tỉnh or Văn phòng Tỉnh [ủy]?
    ("Trường Cao đẳng Thanh Hóa", None),  # Nông nghiệp or Công nghiệp?
    ("Ban Tuyên giáo Tỉnh ủy", "Ban Tuyên giáo và Dân vận Tỉnh ủy"),  # renamed: a person confirms
    ("Giám đốc", None),
])
def test_near_misses_go_to_review_instead_of_another_agency(piece, candidate):
    resolution = MATCHER.resolve(piece)
    assert resolution.agencies == []
    assert [m.text for m in resolution.review] == [piece]
    if candidate is not None:
        assert resolution.review[0].name == candidate


def test_a_missing_agency_is_not_replaced_by_its_neighbour():
    without_foreign_affairs = AgencyMatcher([e for e in REGISTRY if e.name != "Sở Ngoại vụ"])
    m = without_foreign_affairs.match("Sở Ngoại vụ")
    assert m.score < without_foreign_affairs.threshold  # "Sở Ngoại vụ" is 0.9 from "Sở Nội vụ"
    assert without_foreign_affairs.resolve("Sở Ngoại vụ").agencies == []


def test_a_standing_agency_note_adds_no_agency():
    cell = "Tổ Giúp việc Ban Chỉ đạo (Cơ quan thường trực là Sở Khoa học và Công nghệ)"
    resolution = BARE.resolve(cell)  # the registry does not know the Tổ Giúp việc
    assert resolution.agencies == []
    assert [m.text for m in resolution.review] == ["Tổ Giúp việc Ban Chỉ đạo"]
    assert resolution.notes == ["(Cơ quan thường trực là Sở Khoa học và Công nghệ)"]
    listed = MATCHER.resolve("Sở Nội vụ (chủ trì), Sở Khoa học và Công nghệ")
    assert (listed.agencies, listed.notes) == ([HOME, SCIENCE], ["(chủ trì)"])


def test_names_with_commas_stay_whole():
    assert MATCHER.split("Sở Văn hóa, Thể thao và Du lịch, Sở Nội vụ") == ["Sở Văn hóa, Thể thao và Du lịch", HOME]
    assert MATCHER.split("Các sở, ban, ngành, địa phương") == ["Các sở, ban, ngành", "địa phương"]
    assert MATCHER.split("Sở Xây dựng; Sở Tài chính\n- Sở Công Thương") == ["Sở Xây dựng", FINANCE, "Sở Công Thương"]


def test_shared_prefix_lists():
    assert MATCHER.split("Các sở: Khoa học và Công nghệ, Nội vụ, Tài chính") == [SCIENCE, HOME, FINANCE]
    assert MATCHER.resolve("Các sở Nội vụ, Tài chính và Xây dựng").agencies == [HOME, FINANCE, "Sở Xây dựng"]
    assert MATCHER.resolve("các Ban: Tổ chức, Nội chính").agencies == ["Ban Tổ chức Tỉnh ủy", "Ban Nội chính Tỉnh ủy"]
    truncated = MATCHER.resolve("Các sở: Khoa học và Công ngh, Nội vụ")
    assert truncated.agencies == [SCIENCE, HOME]


def test_collective_patterns_are_groups_never_agencies():
    for pattern, label in COLLECTIVE_PATTERNS:
        m = MATCHER.match(pattern)
        assert (m.kind, m.group, m.name) == (group_kind(label, PROVINCIAL), label, None), pattern


def test_a_registry_name_wins_over_a_collective_pattern():
    matcher = AgencyMatcher([*REGISTRY, RegistryEntry("Mặt trận Tổ quốc tỉnh", ("MTTQ",))])
    assert matcher.resolve("MTTQ, các đoàn thể").agencies == ["Mặt trận Tổ quốc tỉnh"]


def test_every_fixture_cell_resolves_is_a_group_or_goes_to_review():
    review = set()
    for name, line, cell in CELLS:
        resolution = MATCHER.resolve(cell)
        assert resolution.matches, (name, line, cell)
        for m in resolution.matches:
            resolved = m.kind in ("exact", "alias") or (m.kind == "fuzzy" and m.score >= MATCHER.threshold)
            grouped = (m.kind == "group" and m.group is not None or m.kind == "central") and m.name is None
            assert resolved or grouped or m in resolution.review, (name, line, m)
            assert not resolved or m.name in NAMES
        assert set(resolution.agencies) <= NAMES
        review.update(m.text for m in resolution.review)
    # two rows shifted at a page break (the output landed in the collaborator column) and the
    # second half of a cell cut by a page break: nothing else needs a person
    assert review == {"Quyết định phê duyệt chủ trương đầu tư", "Quyết định phê duyệt dự án", "ngành"}


def test_no_typo_of_a_registry_name_lands_anywhere_else():
    checked = 0
    for matcher, with_aliases in ((MATCHER, True), (BARE, False)):
        keys = [(normalize(text), e.name) for e in REGISTRY for text in (e.name, *(e.aliases if with_aliases else ()))]
        for name, line, cell in CELLS:
            for m in matcher.resolve(cell).matches:
                piece = normalize(m.text)
                ratio, nearest = max((SequenceMatcher(None, piece, k).ratio(), n) for k, n in keys)
                if ratio >= 0.85 and m.kind != "group":
                    checked += 1
                    assert m.name == nearest, (name, line, m)
                    if matcher is MATCHER:
                        assert m not in matcher.resolve(cell).review, (name, line, m)
    assert checked > 500


def test_resolve_is_split_then_match():
    for _, _, cell in CELLS:
        pieces = MATCHER.split(cell)
        assert MATCHER.resolve(cell).matches == [MATCHER.match(p) for p in pieces]


def test_deterministic():
    cells = [cell for _, _, cell in CELLS]
    first = [MATCHER.resolve(c) for c in cells]
    assert [AgencyMatcher(REGISTRY).resolve(c) for c in cells] == first


def test_normalize():
    assert normalize("Üy Ban  kiểm-tra, Tỉnh ủy") == "uy ban kiem tra tinh uy"
    assert normalize("ĐẢNG ủy; Ðảng ủy") == "dang uy dang uy"  # the second Đ is an OCR eth
    assert normalize("Sở Y te\u0302\u0301") == "so y te"  # decomposed accents
    assert normalize("") == ""


def test_one_name_cannot_belong_to_two_agencies():
    with pytest.raises(ValueError, match="Sở Tài chính"):
        AgencyMatcher([RegistryEntry("Sở Tài chính"), RegistryEntry("Sở Nội vụ", ("Sở Tài chính",))])


def test_empty_cells():
    for cell in ("", "   ", "-", ";"):
        resolution = MATCHER.resolve(cell)
        assert (resolution.matches, resolution.notes, resolution.agencies) == ([], [], [])


# ---------------------------------------------------------------- level words, central bodies, equivalences

AGENCY, CENTRAL_BODY, GROUP, REVIEW = "agency", "central", "group", "review"
ANY = object()  # a hint for review whatever it is (what matters is that nothing is chosen for the person)
UBND = "UBND tỉnh"
VP_UBND = "Văn phòng UBND tỉnh"
BTV = "Ban Thường vụ Tỉnh ủy"
FRONT = "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"

# (name as a document writes it, what it is, the registry name / group label / review hint, pre-selected).
# Written from what each body is (DOMAIN.md "Central and provincial levels", "Agency names as they appear"):
# a ministry is never the department of the same sector, a Party body never the state body it sits in.
LEVEL_TABLE = [
    # ministries and departments
    ("Bộ Tài chính", CENTRAL_BODY, None, False),
    ("Sở Tài chính", AGENCY, FINANCE, False),
    ("Bộ Khoa học và Công nghệ", CENTRAL_BODY, None, False),
    ("Sở Khoa học và Công nghệ", AGENCY, SCIENCE, False),
    ("Bộ KH&CN", CENTRAL_BODY, None, False),
    ("Bộ TT&TT", CENTRAL_BODY, None, False),
    ("Bộ Thông tin và Truyền thông", CENTRAL_BODY, None, False),
    ("Bộ Nội vụ", CENTRAL_BODY, None, False),
    ("Sở Nội vu", AGENCY, HOME, False),
    ("Bộ Công an", CENTRAL_BODY, None, False),
    ("Công an tỉnh", AGENCY, POLICE, False),
    ("Bộ Y tế", CENTRAL_BODY, None, False),
    ("Sở Y te", AGENCY, "Sở Y tế", False),
    ("Bộ Giáo dục và Đào tạo", CENTRAL_BODY, None, False),
    ("Bộ GD&ĐT", CENTRAL_BODY, None, False),
    ("Sở GD&ĐT", AGENCY, "Sở Giáo dục và Đào tạo", False),
    ("Bộ Nông nghiệp và Môi trường", CENTRAL_BODY, None, False),
    ("Bộ Văn hóa, Thể thao và Du lịch", CENTRAL_BODY, None, False),
    ("Bộ Quốc phòng", CENTRAL_BODY, None, False),
    ("Bộ Chỉ huy Quân sự tỉnh", AGENCY, "Bộ Chỉ huy Quân sự tỉnh", False),  # the province's, not a ministry
    ("Bộ Chỉ huy Bộ đội Biên phòng tỉnh", AGENCY, "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", False),
    ("Bộ Chính trị", CENTRAL_BODY, None, False),
    ("Sở Kế hoạch và Đầu tư", REVIEW, ANY, False),  # merged into Sở Tài chính: a person says so
    ("Sở Thông tin và Truyền thông", REVIEW, ANY, False),  # merged into Sở Khoa học và Công nghệ
    # central bodies
    ("Văn phòng Chính phủ", CENTRAL_BODY, None, False),
    ("Chính phủ", CENTRAL_BODY, None, False),
    ("Thủ tướng Chính phủ", CENTRAL_BODY, None, False),
    ("Quốc hội", CENTRAL_BODY, None, False),
    ("Ban Tuyên giáo Trung ương", CENTRAL_BODY, None, False),
    ("Ban Tuyên giáo và Dân vận Trung ương", CENTRAL_BODY, None, False),
    ("Ban Tổ chức Trung ương", CENTRAL_BODY, None, False),
    ("Ban Chấp hành Trung ương Đảng", CENTRAL_BODY, None, False),
    ("Văn phòng Trung ương Đảng", CENTRAL_BODY, None, False),
    ("Ủy ban Kiểm tra Trung ương", CENTRAL_BODY, None, False),
    ("Ban Chỉ đạo Trung ương", CENTRAL_BODY, None, False),
    ("Các bộ, ngành Trung ương", CENTRAL_BODY, None, False),
    ("Các tỉnh, thành phố", CENTRAL_BODY, None, False),  # other provinces, in a provincial document
    # Party and state bodies
    ("UBND tỉnh", AGENCY, UBND, False),
    ("Đảng ủy UBND tỉnh", REVIEW, ANY, False),
    ("Ban Thường vụ Đảng ủy UBND tỉnh", REVIEW, ANY, False),
    ("Ban Thường vụ Tỉnh ủy", AGENCY, BTV, False),
    ("Tỉnh ủy", REVIEW, ANY, False),  # neither its Standing Board nor the People's Committee
    ("Văn phòng Tỉnh ủy", AGENCY, PARTY_OFFICE, False),
    ("Văn phòng Tỉnh uy", AGENCY, PARTY_OFFICE, False),
    ("Văn phòng UBND tỉnh", AGENCY, VP_UBND, False),
    ("Văn phòng HĐND tỉnh", REVIEW, VP_UBND, False),
    ("HĐND tỉnh", REVIEW, ANY, False),
    ("Hội đồng nhân dân tỉnh", REVIEW, ANY, False),
    ("Đảng ủy Sở Tài chính", REVIEW, ANY, False),
    ("Ban Tổ chức Tỉnh ủy", AGENCY, "Ban Tổ chức Tỉnh ủy", False),
    ("Ủy ban Kiểm tra Tỉnh ủy", AGENCY, "Ủy ban Kiểm tra Tỉnh ủy", False),
    ("Üy Ban kiểm tra Tỉnh ủy", AGENCY, "Ủy ban Kiểm tra Tỉnh ủy", False),
    ("Chủ tịch UBND tỉnh", REVIEW, UBND, False),  # a person of the body: a person decides
    # full and short forms
    ("Ủy ban nhân dân tỉnh", AGENCY, UBND, False),
    ("Ủy ban nhân dân tỉnh Thanh Hóa", AGENCY, UBND, False),
    ("UBND tỉnh Thanh Hóa", AGENCY, UBND, False),
    ("Văn phòng Ủy ban nhân dân tỉnh", AGENCY, VP_UBND, False),
    ("VP UBND tỉnh", AGENCY, VP_UBND, False),
    ("Ủy ban MTTQ tỉnh", AGENCY, FRONT, False),
    ("Ủy ban Mặt trận Tổ quốc tỉnh", AGENCY, FRONT, False),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Thanh Hóa", AGENCY, FRONT, False),
    ("BHXH Khu vực VI", AGENCY, "Bảo hiểm xã hội Khu vực VI", False),
    # OCR and typing errors, truncations
    ("Công an tinh", AGENCY, POLICE, False),
    ("CÔNG AN TỈNH", AGENCY, POLICE, False),
    ("Sở Khoa học và Công ngh", AGENCY, SCIENCE, False),
    ("Văn UBND tỉnh", AGENCY, VP_UBND, False),
    ("Sở Tư pháo", REVIEW, "Sở Tư pháp", True),  # same level, one letter off in a short name: offered
    ("Bảo hiểm xã hội Khu vực VII", REVIEW, "Bảo hiểm xã hội Khu vực VI", False),  # another region
    ("Sở Tài chính tỉnh Nghệ An", REVIEW, ANY, False),  # another province's department
    ("UBND tỉnh Nghệ An", REVIEW, ANY, False),
    ("Công an xã", REVIEW, ANY, False),
    # collective names, in any order of their words
    ("Các sở, ban, ngành", GROUP, GROUP_PROVINCIAL, False),
    ("các ban, sở, ngành", GROUP, GROUP_PROVINCIAL, False),
    ("Các ngành, sở, ban", GROUP, GROUP_PROVINCIAL, False),
    ("Sở, ngành, ban", GROUP, GROUP_PROVINCIAL, False),
    ("UBND các phường, xã", GROUP, GROUP_COMMUNES, False),
    ("Ủy ban nhân dân các xã, phường", GROUP, GROUP_COMMUNES, False),
    ("Các tổ chức, cơ quan, đơn vị liên quan", GROUP, GROUP_RELATED, False),
    ("Các địa phương", GROUP, GROUP_COMMUNES, False),  # the communes, in a provincial document
]


def test_the_level_table_is_large():
    assert len(LEVEL_TABLE) >= 60
    assert len({text for text, *_ in LEVEL_TABLE}) == len(LEVEL_TABLE)


@pytest.mark.parametrize(("text", "what", "expected", "preselect"), LEVEL_TABLE)
def test_level_words(text, what, expected, preselect):
    resolution = MATCHER.resolve(text)
    [m] = resolution.matches  # every name of the table is one piece
    if what == AGENCY:
        assert (m.name, m in resolution.review, resolution.agencies) == (expected, False, [expected])
    elif what == CENTRAL_BODY:
        assert (m.kind, m.name, resolution.agencies, resolution.review, resolution.central) == (
            "central", None, [], [], [text])
    elif what == GROUP:
        assert (m.kind, m.group, resolution.agencies) == ("group", expected, [])
    else:
        assert (resolution.agencies, resolution.review, m.preselect) == ([], [m], preselect)
        if expected is not ANY:
            assert m.name == expected


def test_no_confident_wrong_match_in_the_level_table():
    """Every confident match is the body the table names; whatever is uncertain waits for a person with nothing
    chosen for them, unless the table says the suggestion is of the same level and very close."""
    wrong = []
    for text, what, expected, preselect in LEVEL_TABLE:
        for matcher in (MATCHER, BARE):
            for m in matcher.resolve(text).matches:
                confident = m.kind in ("exact", "alias") or (m.kind == "fuzzy" and m.score >= matcher.threshold)
                if confident and (what != AGENCY or m.name != expected):
                    wrong.append((text, m))
                if m.preselect and not preselect:
                    wrong.append((text, m))
    assert wrong == []


def test_a_ministry_stays_central_even_after_a_wrong_answer_was_recorded():
    """An alias recorded before the levels were compared ("Bộ Tài chính" as Sở Tài chính) no longer applies."""
    wrongly = AgencyMatcher([*(e for e in REGISTRY if e.name != FINANCE), RegistryEntry(FINANCE, ("Bộ Tài chính",))])
    assert (wrongly.match("Bộ Tài chính").kind, wrongly.resolve("Bộ Tài chính").agencies) == ("central", [])


def test_a_central_body_beside_the_provinces_unit():
    resolution = MATCHER.resolve("Bộ Khoa học và Công nghệ; Sở Khoa học và Công nghệ")
    assert (resolution.agencies, resolution.central, resolution.review) == ([SCIENCE], ["Bộ Khoa học và Công nghệ"], [])
    listed = MATCHER.resolve("Các bộ: Tài chính, Nội vụ, Công an; Công an tỉnh")
    assert (listed.agencies, listed.central) == ([POLICE], ["Bộ Tài chính", "Bộ Nội vụ", "Bộ Công an"])
    two = MATCHER.resolve("Bộ Công an, Bộ Quốc phòng, Văn phòng Chính phủ")
    assert two.central == ["Bộ Công an", "Bộ Quốc phòng", "Văn phòng Chính phủ"]


def test_a_word_glued_before_a_known_name_makes_another_body():
    """"Đảng ủy UBND tỉnh" is the Party committee of the People's Committee: never "UBND tỉnh" with a word over."""
    for cell in ("Đảng ủy UBND tỉnh", "Ban Thường vụ Đảng ủy UBND tỉnh", "Văn phòng Sở Tài chính",
                 "Sở KHCN&ĐMST tỉnh", "Sở Tài chính tỉnh Nghệ An"):
        resolution = MATCHER.resolve(cell)
        assert (resolution.agencies, [m.text for m in resolution.review]) == ([], [cell]), cell
    resolution = MATCHER.resolve("Đảng ủy UBND tỉnh, Sở Nội vụ")
    assert (resolution.agencies, [m.text for m in resolution.review]) == ([HOME], ["Đảng ủy UBND tỉnh"])


def test_collective_names_keep_their_commas_in_any_order():
    assert MATCHER.split("Các ngành, ban, sở; Sở Tài chính") == ["Các ngành, ban, sở", FINANCE]
    assert MATCHER.split("Các tỉnh, thành phố, Sở Nội vụ") == ["Các tỉnh, thành phố", HOME]
    assert MATCHER.resolve("Các bộ, ngành Trung ương, các sở, ban, ngành").groups == [GROUP_PROVINCIAL]


def test_a_collective_name_is_read_at_the_level_of_the_document():
    central = AgencyMatcher(REGISTRY, level=CENTRAL)
    for text in ("Các địa phương", "Các tỉnh, thành phố", "UBND các tỉnh, thành phố trực thuộc Trung ương"):
        m = central.match(text)
        assert (m.kind, m.group) == ("group", GROUP_PROVINCES), text
    assert (MATCHER.match("Các địa phương").kind, MATCHER.match("Các địa phương").group) == ("group", GROUP_COMMUNES)
    outside = MATCHER.match("UBND các tỉnh, thành phố trực thuộc Trung ương")  # other provinces: context
    assert (outside.kind, outside.group) == ("central", GROUP_PROVINCES)
    assert document_level("57-NQ/TW") == document_level("03/NQ-CP") == document_level("1131/QĐ-TTg") == CENTRAL
    assert document_level("266-KH/TU") == document_level("3130/UBND-VX") == document_level(None) == PROVINCIAL


def test_abbreviations_the_document_defines():
    lines = ["Giao Sở Nông nghiệp và Môi trường (sau đây gọi tắt là Sở NN) chủ trì;",
             "Văn phòng Chính phủ (sau đây viết tắt là VPCP), Sở Ngoại vụ (viết tắt là “Sở NV”)."]
    definitions = defined_names(lines)
    assert definitions == {"Sở NN": "Giao Sở Nông nghiệp và Môi trường", "VPCP": "Văn phòng Chính phủ",
                           "Sở NV": "Sở Ngoại vụ"}
    matcher = AgencyMatcher(REGISTRY, definitions=definitions)
    resolution = matcher.resolve("Sở NN, Sở NV; VPCP")
    assert (resolution.agencies, resolution.central) == (["Sở Nông nghiệp và Môi trường", "Sở Ngoại vụ"], ["VPCP"])
    # without the document, "Sở NN" is no agency anyone can be sure of, and "Sở NV" is the registry's Sở Nội vụ
    assert MATCHER.resolve("Sở NN").agencies == [] and MATCHER.resolve("Sở NV").agencies == [HOME]


def test_a_definition_of_nothing_known_adds_nothing():
    matcher = AgencyMatcher(REGISTRY, definitions=defined_names(["Kế hoạch số 266 (sau đây gọi tắt là Kế hoạch)"]))
    assert matcher.resolve("Kế hoạch").agencies == []


@pytest.mark.parametrize(("text", "agency", "conflict"), [
    ("Đảng ủy UBND tỉnh", UBND, ("Đảng ủy", "UBND")),
    ("Tỉnh ủy", BTV, ("Tỉnh ủy", "Ban Thường vụ")),
    ("Văn phòng HĐND tỉnh", VP_UBND, ("HĐND", "UBND")),
    ("HĐND tỉnh", UBND, ("HĐND", "UBND")),
    ("Bộ Tài chính", FINANCE, ("Trung ương", "Sở")),
    ("Văn phòng Tỉnh ủy", VP_UBND, ("Tỉnh ủy", "UBND")),
    ("Văn UBND tỉnh", VP_UBND, None),  # the level word lost: it may be a name of it
    ("Sở KHCN&ĐMST tỉnh", SCIENCE, None),
    ("Tổ Giúp việc Ban Chỉ đạo", SCIENCE, None),
    ("Chủ tịch UBND tỉnh", UBND, None),
])
def test_level_conflict(text, agency, conflict):
    assert level_conflict(text, agency) == conflict
