"""Resolve agency names as written in assignment documents against the province's registry.

Cells of the appendix tables ("Cơ quan chủ trì", "Cơ quan phối hợp") hold one or several
agencies, written with OCR and typing errors, truncations, shared prefixes ("Các sở: Nội vụ,
Tài chính"), collective names ("Các sở, ban, ngành, địa phương") and role notes in brackets.
``AgencyMatcher`` splits such a cell and resolves every piece to a registry name, to a group,
or to the review list; it never invents an agency. Pure code: the registry is passed in.

How a cell is read:

1. bracketed notes are taken out into ``notes``;
2. the cell is cut into hard segments at ";", newlines and bullets ("-" and "." are ignored);
3. each segment is scanned word by word, accent- and case-insensitively, for the longest known
   name, alias or collective pattern, so names holding commas or "và" stay whole; a shared-prefix
   header ("Các sở:") lends its prefix to the items after it; a role phrase written right after
   an agency ("… báo cáo, thực hiện theo chỉ đạo của …") becomes a note;
4. words left over are joined to a neighbour they are glued to when that resolves them ("Văn
   UBND tỉnh", "Địa phương được lựa chọn"), and otherwise cut at "," and "và" only where that
   lets more words resolve; difflib scores what is still not exact.

Every piece is finally resolved by ``match`` on its own text, so ``resolve(cell).matches`` equals
``[match(p) for p in split(cell)]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

KINDS = ("exact", "alias", "fuzzy", "group", "unknown")
DEFAULT_THRESHOLD = 0.9
REVIEW_FLOOR = 0.6  # a fuzzy candidate scoring less is not worth showing: the piece is "unknown"
AMBIGUITY_MARGIN = 0.02  # two agencies this close to a piece: nobody can tell which one is meant
_CACHE_SIZE = 50_000  # pieces remembered per matcher (a province's documents repeat the same names)

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
_PREFIX_READINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "so": (("Sở ", ""),),
    "ban": (("Ban ", ""), ("Ban ", " Tỉnh ủy")),
    "nganh": (),
}
# Role phrases: written after an agency they state its role, they do not name another agency.
_ROLE_PHRASES = (
    ("chu", "tri"), ("phoi", "hop"), ("bao", "cao"), ("thuc", "hien"), ("tham", "muu"),
    ("theo", "doi"), ("dau", "moi"), ("lam", "dau", "moi"), ("la", "co", "quan"),
)
# Place words after an agency name that do not change which agency it is ("Sở Y tế tỉnh Thanh Hóa").
_PLACE_SUFFIXES = ("tinh thanh hoa", "thanh hoa", "cap tinh", "tinh")

# OCR look-alikes that accent stripping does not fold (the Icelandic eth for the Vietnamese đ).
_OCR_FIXES = str.maketrans({"Ð": "D", "ð": "d", "Ɖ": "D", "ɖ": "d", "Đ": "D", "đ": "d"})
_WORD_RE = re.compile(r"[^\W_]+")
_TOKEN_RE = re.compile(
    r"(?P<word>(?:[^\W_]|[\u0300-\u036f])+)|(?P<hard>[;；\n\r•·])|(?P<comma>[,，])|(?P<colon>[:：])"
)
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


def normalize(text: str) -> str:
    """Fold text for comparison: no accents (đ→d), lowercase, OCR look-alikes fixed, words only."""
    text = unicodedata.normalize("NFKC", text or "").translate(_OCR_FIXES)
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return " ".join(_WORD_RE.findall(stripped.casefold()))


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


@lru_cache(maxsize=16384)
def _norm_word(word: str) -> str:
    return normalize(word)


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" | "comma" | "colon"
    norm: str
    start: int  # offsets in the cell
    end: int


@dataclass
class _Span:
    """A stretch of a segment's tokens: a known phrase, a leftover word, a separator or a note."""

    kind: str  # "known" | "word" | "sep" | "note"
    start: int  # first token
    end: int  # token after the last
    group: bool = False  # a known phrase that is a collective pattern
    reading: tuple[str, str] = ("", "")  # text put around a shared-prefix item
    readings: tuple[tuple[str, str], ...] = ()  # for leftover words: the active shared prefixes


@dataclass(frozen=True)
class _Key:
    text: str  # normalized
    tokens: tuple[str, ...]
    codes: frozenset[str]
    name: str


class AgencyMatcher:
    """Resolve cells of lead/collaborating agencies against a registry of agencies with aliases."""

    def __init__(self, registry: Iterable[RegistryEntry], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self.names: list[str] = []
        self._exact: dict[str, str] = {}
        self._alias: dict[str, str] = {}
        self._groups: dict[str, str] = {}
        self._keys: list[_Key] = []
        self._trie: dict = {}
        for entry in registry:
            self.names.append(entry.name)
            self._add_key(entry.name, entry.name, self._exact)
            for alias in entry.aliases:
                self._add_key(alias, entry.name, self._alias)
        for pattern, label in COLLECTIVE_PATTERNS:
            key = normalize(pattern)
            if key not in self._exact and key not in self._alias and key not in self._groups:
                self._groups[key] = label
                self._trie_insert(key, ("group", label))
        self._order = {name: i for i, name in enumerate(self.names)}
        self._cache: dict[str, tuple[str | None, float, str, str | None]] = {}

    def _add_key(self, text: str, name: str, table: dict[str, str]) -> None:
        key = normalize(strip_notes(text)[0])
        owner = self._exact.get(key) or self._alias.get(key)
        if not key or owner == name:
            return
        if owner is not None:
            raise ValueError(f"Tên “{text}” đang dùng cho cả “{owner}” và “{name}”; mỗi tên chỉ thuộc một cơ quan.")
        table[key] = name
        self._trie_insert(key, ("agency", name))
        tokens = tuple(key.split())
        self._keys.append(_Key(key, tokens, _codes(tokens), name))

    def _trie_insert(self, key: str, payload: tuple[str, str]) -> None:
        node = self._trie
        for word in key.split():
            node = node.setdefault(word, {})
        node.setdefault("", payload)  # "" is never a word: it marks the end of a key

    # ---- one piece -------------------------------------------------------------------------

    def match(self, piece: str) -> Match:
        """Resolve one piece (a single agency or collective name) against the registry."""
        text = " ".join((piece or "").split())
        name, score, kind, group = self._classify(normalize(strip_notes(text)[0]))
        return Match(text=text, name=name, score=score, kind=kind, group=group)

    def _classify(self, key: str) -> tuple[str | None, float, str, str | None]:
        if key not in self._cache:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = self._classify_uncached(key)
        return self._cache[key]

    def _classify_uncached(self, key: str) -> tuple[str | None, float, str, str | None]:
        if key in self._exact:
            return self._exact[key], 1.0, "exact", None
        if key in self._alias:
            return self._alias[key], 1.0, "alias", None
        if key in self._groups:
            return None, 1.0, "group", self._groups[key]
        if not key:
            return None, 0.0, "unknown", None
        name, score = self._fuzzy(key)
        if name is not None and score >= self.threshold:
            return name, score, "fuzzy", None
        label = self._group_prefix(key)
        if label is not None:  # a collective name with a qualifier: "Các địa phương có đủ điều kiện"
            return None, 0.95, "group", label
        if name is not None and score >= REVIEW_FLOOR:
            return name, score, "fuzzy", None
        return None, 0.0, "unknown", None

    def _group_prefix(self, key: str) -> str | None:
        """The label of the longest collective pattern the normalized text starts with, if any."""
        node, label = self._trie, None
        for word in key.split():
            node = node.get(word)
            if node is None:
                break
            if "" in node:
                label = node[""][1] if node[""][0] == "group" else None
        return label

    def _fuzzy(self, key: str) -> tuple[str | None, float]:
        """The registry name closest to a normalized piece, with its score (0 if none is close)."""
        tokens = tuple(key.split())
        codes = _codes(tokens)
        stem = _strip_place(key)
        best: dict[str, float] = {}
        structural: set[str] = set()  # names whose best score comes from a truncation or dropped words
        seq = SequenceMatcher(None, autojunk=False)
        seq.set_seq2(key)
        for k in self._keys:
            ratio = 0.0
            seq.set_seq1(k.text)
            if seq.real_quick_ratio() >= REVIEW_FLOOR and seq.quick_ratio() >= REVIEW_FLOOR:
                ratio = seq.ratio()
                if ratio >= self.threshold and not self._typo_of(tokens, k, seq):
                    ratio = self.threshold - 0.05
            score = ratio
            if len(tokens) >= 2 and k.text.startswith(key):
                kept = len(key) / len(k.text)
                if k.text[len(key)] != " ":  # cut off inside a word: "Sở Khoa học và Công ngh"
                    score = max(score, 0.75 + 0.25 * kept)
                else:  # whole words missing at the end may change the agency: "Văn phòng Tỉnh"
                    score = max(score, 0.6 + 0.35 * kept)
            gap = _gap(tokens, k.tokens)
            if gap == 1:  # one inner word dropped: "Văn UBND tỉnh"
                score = max(score, 0.85 + 0.15 * len(key) / len(k.text))
            elif gap:  # two or three: a renamed or merged agency, for a person to confirm
                score = max(score, 0.75 + 0.15 * len(key) / len(k.text))
            if stem == k.text:  # place words added: "Sở Tài chính tỉnh Thanh Hóa"
                score = max(score, 0.95)
            if codes != k.codes:
                score = min(score, self.threshold - 0.1)
            if score > best.get(k.name, 0.0):
                best[k.name] = score
                if ratio < self.threshold <= score:
                    structural.add(k.name)
                else:
                    structural.discard(k.name)
        if not best:
            return None, 0.0
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._order[item[0]]))
        name, score = ranked[0]
        if len(ranked) > 1:
            # Close runners-up make the piece ambiguous; after a truncation or dropped words any
            # plausible runner-up does ("Văn phòng Tỉnh": Văn phòng [UBND] tỉnh or Văn phòng Tỉnh [ủy]).
            runner_up = ranked[1][1]
            if runner_up >= score - AMBIGUITY_MARGIN or (name in structural and runner_up >= 0.85):
                score = min(score, self.threshold - 0.05)
        return name, round(score, 3)

    @staticmethod
    def _typo_of(tokens: tuple[str, ...], key: _Key, seq: SequenceMatcher) -> bool:
        """Whether a close piece differs from the key by typos only, not by a swapped word or two.

        "Sở Ngoại vụ" is 0.9 from "Sở Nội vụ", "cấp tỉnh" 0.93 from "CA tỉnh" and "Văn phòng HĐND
        tỉnh" 0.89 from "Văn phòng UBND tỉnh": a name may have one edited letter per 12 letters (so
        short names and abbreviations only tolerate accent and case errors, which fold away), and
        no word replaced by a dissimilar one.
        """
        matched = sum(block.size for block in seq.get_matching_blocks())
        edits = (len(key.text) + len(seq.b) - 2 * matched + 1) // 2  # a swapped letter counts once
        if edits > len(key.text) // 12:
            return False
        for op, i1, i2, j1, j2 in SequenceMatcher(None, tokens, key.tokens, autojunk=False).get_opcodes():
            if op == "replace":
                a, b = " ".join(tokens[i1:i2]), " ".join(key.tokens[j1:j2])
                if min(len(a), len(b)) >= 3 and SequenceMatcher(None, a, b, autojunk=False).ratio() < 0.6:
                    return False
        return True

    # ---- a whole cell ----------------------------------------------------------------------

    def split(self, cell: str) -> list[str]:
        """Cut a cell into pieces as written, keeping known names whole ("Các sở: Nội vụ" gives "Sở Nội vụ")."""
        text = unicodedata.normalize("NFC", cell or "")
        body, _ = strip_notes(text)
        pieces: list[str] = []
        for tokens in _segments(body):
            pieces.extend(self._split_segment(body, tokens)[0])
        return pieces

    def resolve(self, cell: str) -> CellResolution:
        """Split a cell and resolve every piece; bracketed notes and role clauses go to ``notes``."""
        text = unicodedata.normalize("NFC", cell or "")
        body, notes = strip_notes(text)
        matches: list[Match] = []
        for tokens in _segments(body):
            pieces, clause_notes = self._split_segment(body, tokens)
            matches.extend(self.match(p) for p in pieces)
            notes.extend(clause_notes)
        return CellResolution(matches=matches, notes=notes, threshold=self.threshold)

    def _split_segment(self, body: str, tokens: list[_Token]) -> tuple[list[str], list[str]]:
        """The pieces and role notes of one hard segment, in order."""
        spans = self._scan(tokens)
        pieces: list[tuple[int, str]] = []
        for run, before, after in _leftover_runs(spans):
            pieces.extend(self._settle(body, tokens, run, before, after))
        pieces.extend((s.start, _text(body, tokens, s)) for s in spans if s.kind == "known")
        notes = [_text(body, tokens, s) for s in spans if s.kind == "note"]
        return [text for _, text in sorted(pieces) if text], notes

    def _scan(self, tokens: list[_Token]) -> list[_Span]:
        """Find known phrases (longest first), shared-prefix lists, role clauses and leftover words."""
        spans: list[_Span] = []
        readings: tuple[tuple[str, str], ...] = ()
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.kind != "word":
                spans.append(_Span("sep", i, i + 1))
                i += 1
                continue
            header = self._prefix_header(tokens, i)
            if header is not None:
                i, readings = header
                continue
            found = self._longest(tokens, i, readings)
            if found is not None:
                end, is_group, reading = found
                spans.append(_Span("known", i, end, group=is_group, reading=reading))
                i = end
                continue
            prev = spans[-1] if spans else None
            glued = prev is not None and prev.kind == "known"
            after_comma = prev is not None and prev.kind == "sep" and tokens[prev.start].kind == "comma"
            if (glued or after_comma) and _starts_with(tokens, i, _ROLE_PHRASES):
                end = self._clause_end(tokens, i)
                spans.append(_Span("note", i, end))
                i = end
                continue
            spans.append(_Span("sep" if tok.norm == "va" else "word", i, i + 1, readings=readings))
            i += 1
        return spans

    def _prefix_header(self, tokens: list[_Token], i: int) -> tuple[int, tuple[tuple[str, str], ...]] | None:
        """A shared-prefix header at token i ("Các sở:", "Các sở, ngành:"): (next token, readings)."""
        j, words = i, []
        if tokens[j].norm == "cac":
            j += 1
        while j < len(tokens) and tokens[j].kind == "word" and tokens[j].norm in _PREFIX_READINGS:
            words.append(tokens[j].norm)
            j += 1
            if j < len(tokens) and tokens[j].kind == "comma":
                j += 1
        if not words or tokens[j - 1].kind == "comma" or j >= len(tokens):
            return None
        readings = tuple(r for w in words for r in _PREFIX_READINGS[w])
        if tokens[j].kind == "colon":
            return (j + 1, readings) if j + 1 < len(tokens) else None
        # Without a colon only "Các sở Nội vụ, Tài chính" (one header word, then a prefixed name);
        # "các ban, sở, ngành, Sở Tài chính" is a collective name and an agency.
        if (tokens[i].norm == "cac" and len(words) == 1 and j == i + 2 and readings
                and self._longest(tokens, j, readings, plain=False)):
            return j, readings
        return None

    def _longest(self, tokens: list[_Token], i: int, readings: tuple[tuple[str, str], ...],
                 plain: bool = True) -> tuple[int, bool, tuple[str, str]] | None:
        """The longest known phrase from token i, as written or read with a shared prefix."""
        best: tuple[int, bool, tuple[str, str]] | None = None
        if plain:
            for end, payload in _walk(self._trie, tokens, i):
                if best is None or end > best[0]:
                    best = (end, payload[0] == "group", ("", ""))
        for before, after in readings:
            node: dict | None = self._trie
            for word in normalize(before).split():
                node = node.get(word) if node else None
            for end, payload in _walk(node or {}, tokens, i, normalize(after).split()):
                if payload[0] == "agency" and (best is None or end > best[0]):
                    best = (end, False, (before, after if not _ends_with(tokens, end, after) else ""))
        return best

    def _clause_end(self, tokens: list[_Token], i: int) -> int:
        """Where a role clause from token i ends: before a "," or "và" followed by a registry name."""
        j = i + 1
        while j < len(tokens):
            if tokens[j].kind == "comma" or tokens[j].norm == "va":
                k = j + 1
                while k < len(tokens) and tokens[k].kind != "word":
                    k += 1
                found = self._longest(tokens, k, ()) if k < len(tokens) else None
                if found is not None and not found[1]:
                    return j
            j += 1
        return j

    def _confident(self, text: str) -> bool:
        m = self.match(text)
        return m.kind in ("exact", "alias") or (m.kind == "fuzzy" and m.score >= self.threshold)

    def _settle(self, body: str, tokens: list[_Token], run: list[_Span], before: _Span | None,
                after: _Span | None) -> list[tuple[int, str]]:
        """Resolve a run of leftover words: join it to glued neighbours, then split where it helps."""
        parts = _parts(run)
        if before is not None and parts and parts[0][0] == before.end:
            if before.group:  # a qualifier unless it is an agency: "Địa phương được lựa chọn"
                if not self._confident(_plain(body, tokens, *parts[0])):
                    before.end = parts[0][1]
                    parts = parts[1:]
            else:  # the known name may be cut short by a typo: "Ban Chỉ đạo cấp tỉnh về đột phá …"
                for last in sorted({len(parts), 1}, reverse=True):
                    if self._confident(_text(body, tokens, before, end=parts[last - 1][1])):
                        before.end = parts[last - 1][1]
                        parts = parts[last:]
                        break
                else:
                    if normalize(_plain(body, tokens, *parts[0])) in _PLACE_SUFFIXES:
                        before.end = parts[0][1]
                        parts = parts[1:]
        if after is not None and parts and parts[-1][1] == after.start and after.reading == ("", ""):
            start = parts[-1][0]
            if self._confident(_plain(body, tokens, start, after.end)):  # "Văn UBND tỉnh"
                after.start, after.group = start, False
                parts = parts[:-1]
        readings = next((s.readings for s in run if s.kind == "word"), ())
        return self._best_split(body, tokens, parts, readings)

    def _best_split(self, body: str, tokens: list[_Token], parts: list[tuple[int, int]],
                    readings: tuple[tuple[str, str], ...]) -> list[tuple[int, str]]:
        """Join consecutive parts into pieces so that the most words resolve; keep unknowns whole."""
        n = len(parts)
        best: list[tuple[float, int, list[tuple[int, str]]] | None] = [None] * (n + 1)
        best[0] = (0.0, 0, [])
        for i in range(1, n + 1):
            for j in range(i):
                prev = best[j]
                if prev is None:
                    continue
                start, end = parts[j][0], parts[i - 1][1]
                text, value = self._reading(_plain(body, tokens, start, end), readings)
                words = sum(1 for t in tokens[start:end] if t.kind == "word")
                candidate = (prev[0] + words * value, prev[1] - 1, [*prev[2], (start, text)])
                current = best[i]
                if current is None or candidate[:2] > current[:2]:
                    best[i] = candidate
        return best[n][2] if best[n] else []

    def _reading(self, text: str, readings: tuple[tuple[str, str], ...]) -> tuple[str, float]:
        """The best way to read a piece (as written or with a shared prefix) and how much it resolves."""
        options = []
        for before, after in (("", ""), *readings):
            candidate = f"{before}{text}{after}"
            m = self.match(candidate)
            if m.kind in ("exact", "alias", "group") or (m.kind == "fuzzy" and m.score >= self.threshold):
                value = m.score
            else:
                value = m.score * 0.5  # a weak candidate: better than nothing, worse than any match
            options.append((value, -len(options), candidate))
        value, _, candidate = max(options)
        return candidate, value


def _segments(text: str) -> list[list[_Token]]:
    """Tokenize a cell into hard segments, cut at ";", newlines and bullets."""
    segments: list[list[_Token]] = [[]]
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or ""
        if kind == "hard":
            segments.append([])
            continue
        norm = _norm_word(m.group(0)) if kind == "word" else m.group(0)
        if norm:
            segments[-1].append(_Token(kind, norm, m.start(), m.end()))
    result = []
    for seg in segments:
        words = [k for k, t in enumerate(seg) if t.kind == "word"]
        if words:
            result.append(seg[words[0]:words[-1] + 1])
    return result


def _walk(node: dict, tokens: list[_Token], i: int, suffix: list[str] | None = None) -> Iterator[tuple[int, tuple]]:
    """Yield (end, payload) for each known phrase spelt by the tokens from i (commas allowed inside)."""
    j = i
    while j < len(tokens) and node:
        tok = tokens[j]
        if tok.kind == "comma" and j > i:
            j += 1
            continue
        if tok.kind != "word" or tok.norm not in node:
            return
        node = node[tok.norm]
        j += 1
        if "" in node:
            yield j, node[""]
        elif suffix:
            tail: dict | None = node
            for word in suffix:
                tail = tail.get(word) if tail else None
            if tail and "" in tail:
                yield j, tail[""]


def _ends_with(tokens: list[_Token], end: int, after: str) -> bool:
    words = normalize(after).split()
    written = [t.norm for t in tokens[:end] if t.kind == "word"]
    return bool(words) and written[-len(words):] == words


def _plain(body: str, tokens: list[_Token], start: int, end: int) -> str:
    """The cell text from token start to the token before end, spaces collapsed."""
    words = [t for t in tokens[start:end] if t.kind == "word"]
    return " ".join(body[words[0].start:words[-1].end].split()) if words else ""


def _text(body: str, tokens: list[_Token], span: _Span, end: int | None = None) -> str:
    """The text of a span, with the shared prefix it was read with."""
    plain = _plain(body, tokens, span.start, span.end if end is None else end)
    before, after = span.reading
    return f"{before}{plain}{after}" if plain else ""


def _leftover_runs(spans: list[_Span]) -> Iterator[tuple[list[_Span], _Span | None, _Span | None]]:
    """Yield (run, known span just before, known span just after) for each stretch of leftover words."""
    run: list[_Span] = []
    before: _Span | None = None
    for span in [*spans, _Span("end", -1, -1)]:
        if span.kind in ("word", "sep"):
            run.append(span)
            continue
        if any(s.kind == "word" for s in run):
            yield run, before, span if span.kind == "known" else None
        run = []
        before = span if span.kind == "known" else None


def _parts(run: list[_Span]) -> list[tuple[int, int]]:
    """The word-only stretches of a run (between "," and "và"), as (first token, token after last)."""
    parts: list[tuple[int, int]] = []
    for span in run:
        if span.kind != "word":
            continue
        if parts and parts[-1][1] == span.start:
            parts[-1] = (parts[-1][0], span.end)
        else:
            parts.append((span.start, span.end))
    return parts


def _starts_with(tokens: list[_Token], i: int, phrases: tuple[tuple[str, ...], ...]) -> bool:
    words = tuple(t.norm for t in tokens[i:i + 3])
    return any(words[:len(p)] == p for p in phrases)


def _codes(tokens: tuple[str, ...]) -> frozenset[str]:
    """Numbers and Roman numerals of a name; a one-letter numeral only at the end ("Khu vực V")."""
    codes = {t for t in tokens if _CODE_RE.match(t)}
    if tokens and tokens[-1] in ("i", "v", "x"):
        codes.add(tokens[-1])
    return frozenset(codes)


def _strip_place(key: str) -> str:
    """The normalized text without trailing place words, or "" when it has none."""
    for suffix in _PLACE_SUFFIXES:
        if key.endswith(" " + suffix) and len(key) > len(suffix) + 4:
            return key[: -len(suffix) - 1]
    return ""


def _gap(piece: tuple[str, ...], key: tuple[str, ...]) -> int:
    """How many inner words (1-3) the piece drops from the key, keeping its first and last; 0 if not so."""
    gap = len(key) - len(piece)
    if len(piece) < 3 or not 1 <= gap <= 3:
        return 0
    if any(piece[:cut] == key[:cut] and piece[cut:] == key[cut + gap:] for cut in range(1, len(piece))):
        return gap
    return 0
