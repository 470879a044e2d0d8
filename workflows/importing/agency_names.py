"""What the agency matcher knows besides the registry: the collective names, the shared-prefix, role and
place phrases of assignment documents, and the shapes of the answers it gives."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

KINDS = ("exact", "alias", "fuzzy", "group", "unknown")
DEFAULT_THRESHOLD = 0.9
REVIEW_FLOOR = 0.6  # a fuzzy candidate scoring less is not worth showing: the piece is "unknown"
AMBIGUITY_MARGIN = 0.02  # two agencies this close to a piece: nobody can tell which one is meant

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
)

# Shared-prefix headers ("Các sở: Nội vụ, Tài chính", "các Ban: Tổ chức, Tuyên giáo"):
# header word -> ways to read an item: (text put before it, text put after it, normalized).
PREFIX_READINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "so": (("Sở ", ""),),
    "ban": (("Ban ", ""), ("Ban ", " Tỉnh ủy")),
    "nganh": (),
}
# Role phrases: written after an agency they state its role, they do not name another agency.
ROLE_PHRASES = (
    ("chu", "tri"), ("phoi", "hop"), ("bao", "cao"), ("thuc", "hien"), ("tham", "muu"),
    ("theo", "doi"), ("dau", "moi"), ("lam", "dau", "moi"), ("la", "co", "quan"),
)
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
    kind: str  # "exact" | "alias" | "fuzzy" | "group" | "unknown"
    group: str | None = None  # for collective names: the canonical group label


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
