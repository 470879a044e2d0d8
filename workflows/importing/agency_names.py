"""What the agency matcher knows besides the registry: the collective names, the level words that tell one kind
of body from another, the names of central bodies, the equivalent spellings of names, the shared-prefix, role and
place phrases of assignment documents, the abbreviations a document defines, and the shapes of the answers the
matcher gives. Every phrase here is written folded (``text.fold_words``) unless it is a display text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import permutations

from workflows.text import fold_words

# "central": a body above or outside the province (a ministry, the Government, a central Party body, other
# provinces): context of a task, never one of its agencies, never a name to review.
KINDS = ("exact", "alias", "fuzzy", "group", "central", "unknown")
DEFAULT_THRESHOLD = 0.9
REVIEW_FLOOR = 0.6  # a fuzzy candidate scoring less is not worth showing: the piece is "unknown"
AMBIGUITY_MARGIN = 0.02  # two agencies this close to a piece: nobody can tell which one is meant
PRESELECT_REST = 0.85  # a suggestion is offered ready to accept only this close, outside its level words

PROVINCIAL, CENTRAL = "provincial", "central"  # the level of the document being read

GROUP_PROVINCIAL = "Các sở, ban, ngành cấp tỉnh"
GROUP_COMMUNES = "UBND các xã, phường"
GROUP_COMMUNE_PARTY = "Đảng ủy các xã, phường"
GROUP_COMMUNE_LEADERSHIP = "Cấp ủy, chính quyền cấp xã"
GROUP_ALL_LEVELS = "Cấp ủy, chính quyền các cấp"
GROUP_PARTY_UNITS = "Các đảng ủy trực thuộc Tỉnh ủy"
GROUP_PARTY_BOARDS = "Các ban của Tỉnh ủy"
GROUP_FRONT = "Mặt trận Tổ quốc và các đoàn thể"
GROUP_RELATED = "Các cơ quan, đơn vị liên quan"
GROUP_BUSINESSES = "Các doanh nghiệp"
GROUP_SCHOOLS = "Các trường đại học, cao đẳng"
GROUP_PROVINCES = "Các tỉnh, thành phố"
GROUP_MINISTRIES = "Các bộ, ngành Trung ương"

# Collective names seen in the documents, each with its canonical group label: groups, never
# agencies. A registry name or alias spelt the same wins over a pattern. Words written right
# after a collective name ("cấp tỉnh", "có đủ điều kiện", "Viễn thông - CNTT") qualify it.
COLLECTIVE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("Các sở, ban, ngành", GROUP_PROVINCIAL),
    ("Các ban, sở, ngành", GROUP_PROVINCIAL),
    ("Các sở, ngành", GROUP_PROVINCIAL),
    ("Các sở, ban", GROUP_PROVINCIAL),
    ("Các ban, sở", GROUP_PROVINCIAL),
    ("Các ban, ngành", GROUP_PROVINCIAL),
    ("Sở, ban, ngành", GROUP_PROVINCIAL),
    ("Sở, ngành", GROUP_PROVINCIAL),
    ("Các sở", GROUP_PROVINCIAL),
    ("Các ngành", GROUP_PROVINCIAL),
    ("UBND các xã, phường", GROUP_COMMUNES),
    ("UBND các xã", GROUP_COMMUNES),
    ("UBND cấp xã", GROUP_COMMUNES),
    ("Ủy ban nhân dân các xã, phường", GROUP_COMMUNES),
    ("Ủy ban nhân dân cấp xã", GROUP_COMMUNES),
    ("Các xã, phường", GROUP_COMMUNES),
    ("Chính quyền cấp xã", GROUP_COMMUNES),
    ("Các địa phương", GROUP_COMMUNES),
    ("Địa phương", GROUP_COMMUNES),
    ("Các Đảng ủy xã, phường", GROUP_COMMUNE_PARTY),
    ("Đảng ủy xã, phường", GROUP_COMMUNE_PARTY),
    ("Đảng ủy các xã, phường", GROUP_COMMUNE_PARTY),
    ("Đảng ủy cấp xã", GROUP_COMMUNE_PARTY),
    ("Cấp ủy, chính quyền cấp xã", GROUP_COMMUNE_LEADERSHIP),
    ("Các cấp ủy, chính quyền", GROUP_ALL_LEVELS),
    ("Các cấp ủy đảng, chính quyền", GROUP_ALL_LEVELS),
    ("Cấp ủy, chính quyền các cấp", GROUP_ALL_LEVELS),
    ("Các cấp ủy", GROUP_ALL_LEVELS),
    ("Các cấp ủy đảng", GROUP_ALL_LEVELS),
    ("Các đảng ủy trực thuộc Tỉnh ủy", GROUP_PARTY_UNITS),
    ("Các đảng ủy trực thuộc", GROUP_PARTY_UNITS),
    ("Các ban Đảng Tỉnh ủy", GROUP_PARTY_BOARDS),
    ("Các ban của Tỉnh ủy", GROUP_PARTY_BOARDS),
    ("Các ban Đảng", GROUP_PARTY_BOARDS),
    ("MTTQ", GROUP_FRONT),
    ("Mặt trận Tổ quốc", GROUP_FRONT),
    ("Các đoàn thể", GROUP_FRONT),
    ("Các đoàn thể chính trị - xã hội", GROUP_FRONT),
    ("Các tổ chức chính trị - xã hội", GROUP_FRONT),
    ("Các cơ quan, đơn vị liên quan", GROUP_RELATED),
    ("Các cơ quan, đơn vị có liên quan", GROUP_RELATED),
    ("Các cơ quan, tổ chức, đơn vị liên quan", GROUP_RELATED),
    ("Các cơ quan, tổ chức, đơn vị", GROUP_RELATED),
    ("Các cơ quan, đơn vị", GROUP_RELATED),
    ("Cơ quan, đơn vị", GROUP_RELATED),
    ("Các cơ quan liên quan", GROUP_RELATED),
    ("Các đơn vị liên quan", GROUP_RELATED),
    ("Các đơn vị có liên quan", GROUP_RELATED),
    ("Đơn vị liên quan", GROUP_RELATED),
    ("Các đơn vị", GROUP_RELATED),
    ("Các doanh nghiệp", GROUP_BUSINESSES),
    ("Doanh nghiệp", GROUP_BUSINESSES),
    ("Các trường đại học, cao đẳng", GROUP_SCHOOLS),
    ("Các trường đại học", GROUP_SCHOOLS),
    ("Các trường cao đẳng", GROUP_SCHOOLS),
    ("Các tỉnh, thành phố", GROUP_PROVINCES),
    ("Các tỉnh, thành phố trực thuộc Trung ương", GROUP_PROVINCES),
    ("UBND các tỉnh, thành phố", GROUP_PROVINCES),
    ("Các bộ, ngành", GROUP_MINISTRIES),
    ("Các bộ, ngành Trung ương", GROUP_MINISTRIES),
    ("Các bộ, ngành ở Trung ương", GROUP_MINISTRIES),
    ("Các bộ, cơ quan ngang bộ", GROUP_MINISTRIES),
    ("Các bộ, cơ quan Trung ương", GROUP_MINISTRIES),
    ("Các cơ quan Trung ương", GROUP_MINISTRIES),
    ("Bộ, ngành Trung ương", GROUP_MINISTRIES),
)
# "Các địa phương" are the communes in a provincial document and the provinces in a central one.
LOCALITIES = frozenset({"cac dia phuong", "dia phuong"})
# The kinds of body a collective name lists: listed in any order they name the same group
# ("Các sở, ban, ngành" = "các ban, sở, ngành").
_LISTED_KINDS = frozenset({
    "so", "ban", "nganh", "xa", "phuong", "thi tran", "tinh", "thanh pho", "bo", "co quan", "to chuc", "don vi",
    "cap uy", "chinh quyen", "dia phuong", "doan the", "doanh nghiep"})


def group_kind(label: str, level: str) -> str:
    """How a collective name is taken in a document of ``level``: a group of the province's bodies, or context
    ("central": ministries always; the provinces when a provincial document names them, as they are others)."""
    if label == GROUP_MINISTRIES or (label == GROUP_PROVINCES and level == PROVINCIAL):
        return "central"
    return "group"


def collective_keys(level: str = PROVINCIAL) -> Iterator[tuple[str, str]]:
    """Every folded spelling of the collective names with its label, the listed kinds in every order."""
    for pattern, label in COLLECTIVE_PATTERNS:
        key = fold_words(pattern)
        if key in LOCALITIES and level == CENTRAL:
            label = GROUP_PROVINCES
        yield key, label
        yield from ((other, label) for other in _reorderings(key) if other != key)


def _reorderings(key: str) -> list[str]:
    """A folded collective name with its listed kinds in every other order ("cac ban so nganh" for
    "cac so ban nganh"); [] when it does not list kinds."""
    words = key.split()
    for start in range(len(words)):
        for end in range(len(words), start, -1):
            items = _kinds_from(words[start:end])
            if items and len(items) >= 2:
                head, tail = words[:start], words[end:]
                return [" ".join([*head, *(w for item in order for w in item), *tail])
                        for order in permutations(items) if len(items) <= 4]
    return []


def _kinds_from(words: list[str]) -> list[tuple[str, ...]]:
    """``words`` read as a run of listed kinds ("so ban nganh" -> so, ban, nganh), or []."""
    items: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        two = " ".join(words[i:i + 2])
        if two in _LISTED_KINDS and i + 1 < len(words):
            items.append(tuple(words[i:i + 2]))
            i += 2
        elif words[i] in _LISTED_KINDS:
            items.append((words[i],))
            i += 1
        else:
            return []
    return items


# ---- equivalent spellings --------------------------------------------------------------------

# A full name and its usual short form name the same thing ("Ủy ban nhân dân tỉnh" = "UBND tỉnh"): names are
# compared in their short (canonical) form, and the splitter also knows every name in its full form.
EQUIVALENCES: tuple[tuple[str, str], ...] = (
    ("uy ban nhan dan", "ubnd"), ("hoi dong nhan dan", "hdnd"), ("mat tran to quoc viet nam", "mttq"),
    ("mat tran to quoc", "mttq"), ("mttq viet nam", "mttq"), ("uy ban kiem tra", "ubkt"), ("ban thuong vu", "btv"),
    ("ban chap hanh", "bch"), ("van phong", "vp"), ("trung uong", "tw"), ("bao hiem xa hoi", "bhxh"),
    ("khoa hoc va cong nghe", "khcn"), ("kh cn", "khcn"), ("thong tin va truyen thong", "tttt"), ("tt tt", "tttt"),
    ("giao duc va dao tao", "gddt"), ("gd dt", "gddt"), ("nong nghiep va moi truong", "nnmt"), ("nn mt", "nnmt"),
    ("tai nguyen va moi truong", "tnmt"), ("tn mt", "tnmt"), ("nong nghiep va phat trien nong thon", "nnptnt"),
    ("nn ptnt", "nnptnt"), ("lao dong thuong binh va xa hoi", "ldtbxh"), ("ld tb xh", "ldtbxh"),
    ("ldtb xh", "ldtbxh"), ("ke hoach va dau tu", "khdt"), ("kh dt", "khdt"), ("van hoa the thao va du lich", "vhttdl"),
    ("vh tt dl", "vhttdl"), ("giao thong van tai", "gtvt"), ("dan toc va ton giao", "dttg"), ("dt tg", "dttg"),
    ("phat thanh va truyen hinh", "ptth"),
)
_SHORT_TO_FULL = {short: full for full, short in reversed(EQUIVALENCES) if " " in full and len(full) > 8}


def _phrase_index(phrases: Iterable[str]) -> dict[str, list[tuple[str, ...]]]:
    """First word -> the phrases starting with it, longest first (for longest-match scans)."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        index.setdefault(words[0], []).append(words)
    for found in index.values():
        found.sort(key=len, reverse=True)
    return index


def _longest_at(tokens: tuple[str, ...], i: int, index: dict[str, list[tuple[str, ...]]]) -> tuple[str, ...]:
    for words in index.get(tokens[i], ()):
        if tokens[i:i + len(words)] == words:
            return words
    return ()


_EQUIVALENT = _phrase_index(full for full, _ in EQUIVALENCES)
_SHORT = dict(EQUIVALENCES)


def canonical(key: str) -> str:
    """A folded name with every full form written short ("uy ban nhan dan tinh" -> "ubnd tinh")."""
    tokens = tuple(key.split())
    out: list[str] = []
    i = 0
    while i < len(tokens):
        words = _longest_at(tokens, i, _EQUIVALENT)
        out.append(_SHORT[" ".join(words)] if words else tokens[i])
        i += len(words) or 1
    return " ".join(out)


def spellings(key: str) -> set[str]:
    """A folded name as written, short and in full ("van phong ubnd tinh", "vp ubnd tinh",
    "van phong uy ban nhan dan tinh")."""
    short = canonical(key)
    full = " ".join(_SHORT_TO_FULL.get(word, word) for word in short.split())
    return {key, short, full}


# ---- level words -------------------------------------------------------------------------------

# The level word of a name says what kind of body it is; it is compared exactly, only the rest of a name is
# fuzzed ("Bộ Khoa học và Công nghệ" is no typo of "Sở Khoa học và Công nghệ"). Heads are read at the start
# of a name; bodies (whose body a name belongs to: "Văn phòng UBND tỉnh", "Đảng ủy UBND tỉnh") anywhere.
# Canonical spelling -> display text.
HEAD_WORDS: dict[str, str] = {
    "bo chi huy": "Bộ Chỉ huy", "bo": "Bộ", "so": "Sở", "ban": "Ban", "ban can su dang": "Ban cán sự đảng",
    "tong cuc": "Tổng cục", "cuc": "Cục", "chi cuc": "Chi cục", "vp": "Văn phòng", "cong an": "Công an",
    "thanh tra": "Thanh tra", "truong": "Trường", "dai hoc": "Đại học", "vien": "Viện",
    "vien kiem sat": "Viện Kiểm sát", "toa an": "Tòa án", "trung tam": "Trung tâm", "dai": "Đài", "bao": "Báo",
    "hoi": "Hội", "hiep hoi": "Hiệp hội", "lien hiep": "Liên hiệp", "lien doan": "Liên đoàn", "doan": "Đoàn",
    "kho bac": "Kho bạc", "ngan hang": "Ngân hàng", "bhxh": "Bảo hiểm xã hội", "uy ban mttq": "Ủy ban MTTQ",
}
BODY_WORDS: dict[str, str] = {
    "ubnd": "UBND", "hdnd": "HĐND", "btv": "Ban Thường vụ", "bch": "Ban Chấp hành", "ubkt": "Ủy ban Kiểm tra",
    "mttq": "Mặt trận Tổ quốc", "dang uy": "Đảng ủy", "dang bo": "Đảng bộ", "dang doan": "Đảng đoàn",
    "chi bo": "Chi bộ", "tinh uy": "Tỉnh ủy", "thanh uy": "Thành ủy", "huyen uy": "Huyện ủy", "quan uy": "Quân ủy",
    "tinh doan": "Tỉnh đoàn", "chinh phu": "Chính phủ", "thu tuong": "Thủ tướng", "quoc hoi": "Quốc hội",
    "tw": "Trung ương",
}
LEVEL_LABELS = {**HEAD_WORDS, **BODY_WORDS}
_HEADS = _phrase_index(LEVEL_LABELS)
_BODIES = _phrase_index(BODY_WORDS)


@dataclass(frozen=True)
class Levels:
    """The level words of a canonical name: its head (None when it starts with no level word), its bodies."""

    head: str | None
    bodies: tuple[str, ...]
    rest: str  # the other words, place words at the end left out: what may be fuzzed

    def same(self, other: Levels) -> bool:
        """Same kind of body of the same bodies; a name without a head word may be any kind (a typo there)."""
        return self.bodies == other.bodies and (self.head == other.head or None in (self.head, other.head))


def levels(canon: str) -> Levels:
    """The level words of a canonical name ("vp ubnd tinh" -> head vp, bodies (ubnd,), rest "")."""
    tokens = tuple(canon.split())
    if not tokens:
        return Levels(None, (), "")
    head = _longest_at(tokens, 0, _HEADS)
    bodies, rest = [], []
    i = len(head)
    if " ".join(head) in BODY_WORDS:
        bodies.append(" ".join(head))
    while i < len(tokens):
        words = _longest_at(tokens, i, _BODIES)
        (bodies if words else rest).append(" ".join(words) if words else tokens[i])
        i += len(words) or 1
    remainder = " ".join(rest)
    return Levels(" ".join(head) or None, tuple(bodies), strip_place(remainder) or remainder)


# ---- central bodies ----------------------------------------------------------------------------

# Markers of a central body, canonical: the Government, the Prime Minister, the National Assembly, the
# central Party bodies ("Ban Tuyên giáo Trung ương"), the supreme court and procuracy, the State Audit.
_CENTRAL_MARKERS = _phrase_index(("thu tuong chinh phu", "chinh phu", "thu tuong", "quoc hoi", "tw", "ban bi thu",
                                  "toi cao", "kiem toan nha nuoc", "chu tich nuoc"))
# "Bộ" heads a ministry, except in these ("Bộ Chỉ huy Quân sự tỉnh", "Bộ đội Biên phòng", "Bộ chỉ số");
# "đảng bộ", "chi bộ", "cán bộ" are no ministries either.
_NOT_MINISTRY_AFTER = frozenset({"chi", "doi", "tieu", "may", "phan", "phieu"})
_NOT_MINISTRY_BEFORE = frozenset({"dang", "chi", "can", "toan", "cac"})
# Words that make a marker no body: "Chính phủ điện tử/số" (e-government), "trực thuộc Trung ương" (provinces).
_NOT_CENTRAL_AFTER = frozenset({"dien", "so"})
_NOT_CENTRAL_BEFORE = frozenset({"thuoc"})


# The ministries, canonical, after "Bộ" (those of 2025 and the ones merged into them, still named in plans).
MINISTRIES = frozenset({
    "quoc phong", "cong an", "ngoai giao", "noi vu", "tu phap", "tai chinh", "cong thuong", "nnmt", "xay dung",
    "vhttdl", "khcn", "gddt", "y te", "dttg", "khdt", "tttt", "gtvt", "ldtbxh", "tnmt", "nnptnt", "chinh tri"})


def central_score(canon: str) -> float:
    """How surely a canonical name is one central body: 1.0 for a known ministry or a central marker, 0.9 for
    another "Bộ …", 0.5 for several bodies in one piece (the splitter had better cut it), 0.0 for none."""
    count = central_bodies(canon)
    if count != 1:
        return 0.5 if count else 0.0
    tokens = canon.split()
    if tokens[0] == "bo" and " ".join(tokens[1:]) not in MINISTRIES:
        return 0.9
    return 1.0


def central_bodies(canon: str) -> int:
    """How many central bodies a canonical name names (0: none; 2: "Bộ Công an, Bộ Quốc phòng")."""
    tokens = tuple(canon.split())
    count, i = 0, 0
    while i < len(tokens):
        before = tokens[i - 1] if i else ""
        if tokens[i] == "bo" and before not in _NOT_MINISTRY_BEFORE and i + 1 < len(tokens) \
                and tokens[i + 1] not in _NOT_MINISTRY_AFTER:
            count += 1
            i += 1
            continue
        words = _longest_at(tokens, i, _CENTRAL_MARKERS)
        after = tokens[i + len(words)] if words and i + len(words) < len(tokens) else ""
        if words and before not in _NOT_CENTRAL_BEFORE and after not in _NOT_CENTRAL_AFTER:
            count += 1
        i += len(words) or 1
    return count


# Codes of central issuers in document numbers ("57-NQ/TW", "03/NQ-CP", "1131/QĐ-TTg", "12/CĐ-VPCP").
_CENTRAL_ISSUERS = frozenset({
    "TW", "CP", "TTG", "VPCP", "QH", "UBTVQH", "BCT", "BBT", "BKHCN", "BTC", "BNV", "BTP", "BGDDT", "BYT", "BXD",
    "BNNMT", "BNNPTNT", "BVHTTDL", "BNG", "BQP", "BCA", "BTTTT", "BKHDT", "BGTVT", "BLDTBXH", "BTNMT", "BDTTG"})


def document_level(number: str | None) -> str:
    """Whether a document comes from a central body (by its number's issuer code) or from the province."""
    codes = {fold_words(part, ascii_only=True).upper() for part in re.split(r"[/\-]", number or "")}
    return CENTRAL if codes & _CENTRAL_ISSUERS else PROVINCIAL


# ---- names a document defines ------------------------------------------------------------------

_DEFINITION_RE = re.compile(
    r"\(\s*(?:sau\s+đây\s+)?(?:được\s+)?(?:gọi\s+tắt|viết\s+tắt|gọi)\s+là\s*:?\s*[“\"']?"
    r"(?P<short>[^()“”\"'\n]{1,60}?)[”\"']?\s*\)", re.IGNORECASE)
_BEFORE_WORDS = 16  # words before a definition that may hold the name it abbreviates


def defined_names(lines: Iterable[str]) -> dict[str, str]:
    """The abbreviations a document defines ("Sở Khoa học và Công nghệ (sau đây gọi tắt là Sở KH&CN)"): the
    short form -> the words written before it, of which the matcher takes the longest ending that it knows."""
    found: dict[str, str] = {}
    for line in lines:
        for m in _DEFINITION_RE.finditer(line or ""):
            before = [w for w in re.split(r"[()\[\];:.]", line[:m.start()])[-1].split() if fold_words(w)]
            short = " ".join(m.group("short").split()).strip(" ,.;")
            if short and before and short not in found:
                found[short] = " ".join(before[-_BEFORE_WORDS:])
    return found


# Shared-prefix headers ("Các sở: Nội vụ, Tài chính", "các Ban: Tổ chức, Tuyên giáo"):
# header word -> ways to read an item: (text put before it, text put after it, normalized).
PREFIX_READINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "so": (("Sở ", ""),),
    "bo": (("Bộ ", ""),),
    "ban": (("Ban ", ""), ("Ban ", " Tỉnh ủy")),
    "nganh": (),
}
# Role phrases: written after an agency they state its role, they do not name another agency.
ROLE_PHRASES = (
    ("chu", "tri"), ("phoi", "hop"), ("bao", "cao"), ("thuc", "hien"), ("tham", "muu"),
    ("theo", "doi"), ("dau", "moi"), ("lam", "dau", "moi"), ("la", "co", "quan"),
)
# A person's title written before a body ("Chủ tịch UBND tỉnh"): the piece names the person, not the body.
PERSON_TITLES = ("chu tich", "pho chu tich", "giam doc", "pho giam doc", "bi thu", "pho bi thu", "chanh van phong",
                 "thu truong", "truong ban", "pho truong ban")
# Place words after an agency name that do not change which agency it is ("Sở Y tế tỉnh Thanh Hóa").
PLACE_SUFFIXES = ("tinh thanh hoa", "thanh hoa", "cap tinh", "tinh")

_NOTE_RE = re.compile(r"\([^()]*(?:\)|$)|\[[^\[\]]*(?:\]|$)")
# Numbers and Roman numerals tell agencies apart ("Khu vực VI" / "Khu vực VII"); "vi" and "xi"
# are left out because they are also Vietnamese syllables ("đơn vị", "xi măng").
_CODE_RE = re.compile(r"^(?!vi$|xi$)(\d+|(?=[ivx]{2,}$)x{0,3}(ix|iv|v?i{0,3}))$")


@dataclass(frozen=True)
class RegistryEntry:
    name: str  # official name, e.g. "Sở Văn hóa, Thể thao và Du lịch"
    aliases: tuple[str, ...] = ()  # known variants (typos, abbreviations, truncations)


@dataclass
class Match:
    text: str  # the piece of the cell as written (a shared-prefix item gets its prefix back)
    name: str | None  # the registry name it resolves to, or None
    score: float  # 0..1 confidence
    kind: str  # one of KINDS
    group: str | None = None  # for collective names: the canonical group label
    # for a fuzzy candidate under the threshold: the same level of body and very close in the rest, so the
    # review list may offer it ready to accept; otherwise a person chooses with nothing chosen for them
    preselect: bool = False


@dataclass
class CellResolution:
    matches: list[Match]  # in order of appearance
    notes: list[str]  # role notes removed from the cell
    threshold: float = field(default=DEFAULT_THRESHOLD, repr=False)

    @property
    def agencies(self) -> list[str]:
        """Registry names of the confident matches, without duplicates, in order."""
        names: list[str] = []
        for m in self.matches:
            if m.name and self._confident(m) and m.name not in names:
                names.append(m.name)
        return names

    @property
    def groups(self) -> list[str]:
        """Group labels of the collective names, without duplicates, in order."""
        labels: list[str] = []
        for m in self.matches:
            if m.kind == "group" and m.group and m.group not in labels:
                labels.append(m.group)
        return labels

    @property
    def central(self) -> list[str]:
        """Bodies above or outside the province, as written (or their group label), without duplicates."""
        texts: list[str] = []
        for m in self.matches:
            if m.kind == "central" and m.text not in texts:
                texts.append(m.text)
        return texts

    @property
    def review(self) -> list[Match]:
        """Pieces a person has to resolve: unknown, or fuzzy below the threshold."""
        return [m for m in self.matches if m.kind in ("fuzzy", "unknown") and not self._confident(m)]

    def _confident(self, m: Match) -> bool:
        return m.kind in ("exact", "alias") or (m.kind == "fuzzy" and m.score >= self.threshold)


def strip_notes(text: str) -> tuple[str, list[str]]:
    """Blank out bracketed notes (keeping offsets) and return the text and the notes as written."""
    notes = [m.group(0).strip() for m in _NOTE_RE.finditer(text) if m.group(0).strip("()[] ")]
    return _NOTE_RE.sub(lambda m: " " * len(m.group(0)), text), notes


def registry_from_rows(rows: Iterable[Mapping[str, object]]) -> list[RegistryEntry]:
    """Build registry entries from agency rows holding "name" and optional "short_name", "aliases"."""
    entries = []
    for row in rows:
        name = str(row["name"])
        aliases = [str(a) for a in row.get("aliases") or ()]  # type: ignore[attr-defined]
        short = row.get("short_name")
        if short and str(short) != name and str(short) not in aliases:
            aliases.append(str(short))
        entries.append(RegistryEntry(name=name, aliases=tuple(aliases)))
    return entries


def name_codes(tokens: tuple[str, ...]) -> frozenset[str]:
    """Numbers and Roman numerals of a name; a one-letter numeral only at the end ("Khu vực V")."""
    codes = {t for t in tokens if _CODE_RE.match(t)}
    if tokens and tokens[-1] in ("i", "v", "x"):
        codes.add(tokens[-1])
    return frozenset(codes)


def strip_place(key: str) -> str:
    """The normalized text without trailing place words, or "" when it has none."""
    for suffix in PLACE_SUFFIXES:
        if key.endswith(" " + suffix) and len(key) > len(suffix) + 4:
            return key[: -len(suffix) - 1]
    return ""


def word_gap(piece: tuple[str, ...], key: tuple[str, ...]) -> int:
    """How many inner words (1-3) the piece drops from the key, keeping its first and last; 0 if not so."""
    gap = len(key) - len(piece)
    if len(piece) < 3 or not 1 <= gap <= 3:
        return 0
    if any(piece[:cut] == key[:cut] and piece[cut:] == key[cut + gap:] for cut in range(1, len(piece))):
        return gap
    return 0
