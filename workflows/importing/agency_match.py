"""Resolve agency names as written in assignment documents against the province's registry.

Cells of the appendix tables ("Cơ quan chủ trì", "Cơ quan phối hợp") hold one or several agencies, written
with OCR and typing errors, truncations, shared prefixes and collective names. ``AgencyMatcher`` splits such
a cell (``agency_split``) and resolves every piece to a registry name, to a group, to a central body, or to
the review list; it never invents an agency. Pure code: the registry is passed in.

How a piece is compared (``agency_names`` holds the words):

- folded (``text.fold_words``) and in its canonical spelling, where full forms are written short ("Ủy ban
  nhân dân tỉnh" = "UBND tỉnh"); a registry name or alias spelt so is exact;
- a central body ("Bộ …", "Văn phòng Chính phủ", "Ban … Trung ương") is "central" before any alias or fuzzy
  comparison: it is never a provincial agency, never a name to review;
- otherwise difflib scores it against every name and alias, but the *level words* (Bộ, Sở, Văn phòng, UBND,
  HĐND, Đảng ủy, Ban Thường vụ, Tỉnh ủy …) must be the same: only the rest of a name is fuzzed. A candidate
  of another level is at most a hint for review, never confident and never pre-selected.

Every piece is finally resolved by ``match`` on its own text, so ``resolve(cell).matches`` equals
``[match(p) for p in split(cell)]``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from workflows.importing.agency_names import (
    AMBIGUITY_MARGIN,
    DEFAULT_THRESHOLD,
    LEVEL_LABELS,
    PRESELECT_REST,
    PROVINCIAL,
    REVIEW_FLOOR,
    CellResolution,
    Levels,
    Match,
    RegistryEntry,
    canonical,
    central_bodies,
    central_score,
    collective_keys,
    group_kind,
    levels,
    name_codes,
    spellings,
    strip_notes,
    strip_place,
    word_gap,
)
from workflows.importing.agency_split import CellSplitter
from workflows.text import fold_words

_CACHE_SIZE = 50_000  # pieces remembered per matcher (a province's documents repeat the same names)


@dataclass(frozen=True)
class _Key:
    text: str  # folded
    tokens: tuple[str, ...]
    canon: str  # canonical spelling (short forms)
    codes: frozenset[str]
    levels: Levels
    name: str


@dataclass(frozen=True)
class _Verdict:
    """What ``_classify`` found for a folded piece (cached)."""

    name: str | None
    score: float
    kind: str
    group: str | None = None
    preselect: bool = False


@dataclass(frozen=True)
class _Candidate:
    score: float
    same_level: bool
    close: bool  # same level of body, very close outside its level words, same numbers


class AgencyMatcher:
    """Resolve cells of lead/collaborating agencies against a registry of agencies with aliases.

    ``level`` is the level of the document read ("provincial" or "central": "các địa phương" are the communes
    or the provinces); ``definitions`` are the abbreviations the document defines (short form -> the words
    before it, ``agency_names.defined_names``).
    """

    def __init__(self, registry: Iterable[RegistryEntry], threshold: float = DEFAULT_THRESHOLD,
                 level: str = PROVINCIAL, definitions: Mapping[str, str] | None = None) -> None:
        self.threshold = threshold
        self.level = level
        self.names: list[str] = []
        self._exact: dict[str, str] = {}  # folded name or alias -> registry name
        self._alias: dict[str, str] = {}
        self._canon_exact: dict[str, str | None] = {}  # canonical spelling -> name (None: two agencies)
        self._canon_alias: dict[str, str | None] = {}
        self._groups: dict[str, str] = {}  # folded or canonical collective name -> label
        self._central: set[str] = set()  # folded abbreviations the document defines for central bodies
        self._keys: list[_Key] = []
        self._trie: dict = {}
        for entry in registry:
            self.names.append(entry.name)
            self._add_key(entry.name, entry.name, self._exact, self._canon_exact)
            for alias in entry.aliases:
                self._add_key(alias, entry.name, self._alias, self._canon_alias)
        self._add_groups()
        self._order = {name: i for i, name in enumerate(self.names)}
        self._cache: dict[str, _Verdict] = {}
        self._splitter = CellSplitter(self._trie, self.match, threshold)
        for short, before in (definitions or {}).items():
            self._define(short, before)

    def _add_key(self, text: str, name: str, table: dict[str, str], canon_table: dict[str, str | None]) -> None:
        key = fold_words(strip_notes(text)[0])
        owner = self._exact.get(key) or self._alias.get(key)
        if not key or owner == name:
            return
        if owner is not None:
            raise ValueError(f"Tên “{text}” đang dùng cho cả “{owner}” và “{name}”; mỗi tên chỉ thuộc một cơ quan.")
        table[key] = name
        canon = canonical(key)
        canon_table[canon] = name if canon_table.get(canon, name) == name else None
        for spelling in spellings(key):
            self._trie_insert(spelling, ("agency", name))
        tokens = tuple(key.split())
        own = levels(canon)
        # an alias without a level word ("NHNN Khu vực VII", "VPTU") is of its agency's level
        level = own if own.head or key == fold_words(name) else levels(canonical(fold_words(name)))
        self._keys.append(_Key(key, tokens, canon, name_codes(tokens), Levels(level.head, level.bodies, own.rest),
                               name))

    def _add_groups(self) -> None:
        """The collective names, in every spelling, unless a registry name or alias is spelt the same."""
        for key, label in collective_keys(self.level):
            for spelling in spellings(key):
                canon = canonical(spelling)
                taken = spelling in self._exact or spelling in self._alias or canon in self._canon_exact \
                    or canon in self._canon_alias
                if not taken:
                    self._groups.setdefault(spelling, label)
                    self._groups.setdefault(canon, label)
                    self._trie_insert(spelling, ("group", label))

    def _trie_insert(self, key: str, payload: tuple[str, str]) -> None:
        self._trie_node(key).setdefault("", payload)  # "" is never a word: it marks the end of a key

    def _trie_node(self, key: str) -> dict:
        node = self._trie
        for word in key.split():
            node = node.setdefault(word, {})
        return node

    def _define(self, short: str, before: str) -> None:
        """Learn an abbreviation the document defines: the longest ending of ``before`` that resolves confidently
        names what ``short`` stands for in this document (a central body stays central)."""
        words = before.split()
        for start in range(len(words)):
            m = self.match(" ".join(words[start:]))
            if m.kind == "central" or (m.name and self._confident(m)):
                break
        else:
            return
        key = fold_words(short)
        if not key or key in self._exact:
            return  # an agency's own name keeps meaning that agency
        if m.kind == "central":
            self._central.add(key)
            self._trie_insert(key, ("central", m.text))
        else:
            self._alias.pop(key, None)
            self._keys = [k for k in self._keys if k.text != key]
            self._add_key(short, m.name or "", self._alias, self._canon_alias)
            self._trie_node(key)[""] = ("agency", m.name or "")  # the document's meaning wins over an alias
        self._cache.clear()

    def _confident(self, m: Match) -> bool:
        return m.kind in ("exact", "alias") or (m.kind == "fuzzy" and m.score >= self.threshold)

    # ---- a whole cell ----------------------------------------------------------------------

    def split(self, cell: str) -> list[str]:
        """Cut a cell into pieces as written, keeping known names whole ("Các sở: Nội vụ" gives "Sở Nội vụ")."""
        body, _ = strip_notes(unicodedata.normalize("NFC", cell or ""))
        return [piece for pieces, _ in self._splitter.segments(body) for piece in pieces]

    def resolve(self, cell: str) -> CellResolution:
        """Split a cell and resolve every piece; bracketed notes and role clauses go to ``notes``."""
        body, notes = strip_notes(unicodedata.normalize("NFC", cell or ""))
        matches: list[Match] = []
        for pieces, clause_notes in self._splitter.segments(body):
            matches.extend(self.match(p) for p in pieces)
            notes.extend(clause_notes)
        return CellResolution(matches=matches, notes=notes, threshold=self.threshold)

    # ---- one piece -------------------------------------------------------------------------

    def match(self, piece: str) -> Match:
        """Resolve one piece (a single agency or collective name) against the registry."""
        text = " ".join((piece or "").split())
        v = self._classify(fold_words(strip_notes(text)[0]))
        return Match(text=text, name=v.name, score=v.score, kind=v.kind, group=v.group, preselect=v.preselect)

    def sure(self, piece: str) -> Match | None:
        """The answer for one piece when it needs no guess — a name, an alias, a collective or a central body — or
        None when only the fuzzy comparison could tell (the same answers as ``match``, without its cost: a reader
        of sentences asks this of every run of words)."""
        text = " ".join((piece or "").split())
        key = fold_words(strip_notes(text)[0])
        canon = canonical(key)
        if key not in self._cache and not (
                self._exact.get(key) or self._canon_exact.get(canon) or key in self._groups or canon in self._groups
                or central_score(canon) or key in self._central or self._alias.get(key) or self._canon_alias.get(canon)
                or self._group_prefix(key) or self._group_prefix(canon)):
            return None
        found = self.match(text)
        return found if found.kind in ("exact", "alias", "group", "central") else None

    def _classify(self, key: str) -> _Verdict:
        if key not in self._cache:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = self._classify_uncached(key)
        return self._cache[key]

    def _classify_uncached(self, key: str) -> _Verdict:
        if not key:
            return _Verdict(None, 0.0, "unknown")
        canon = canonical(key)
        name = self._exact.get(key) or self._canon_exact.get(canon)
        if name:
            return _Verdict(name, 1.0, "exact")
        label = self._groups.get(key) or self._groups.get(canon)
        if label is not None:
            return _Verdict(None, 1.0, group_kind(label, self.level), label)
        surely = central_score(canon)
        if surely or key in self._central:
            return _Verdict(None, surely or 1.0, "central")
        name = self._alias.get(key) or self._canon_alias.get(canon)
        if name:
            return _Verdict(name, 1.0, "alias")
        name, found = self._fuzzy(key, canon)
        if name is not None and found.score >= self.threshold:
            return _Verdict(name, found.score, "fuzzy")
        label = self._group_prefix(key) or self._group_prefix(canon)
        if label is not None:  # a collective name with a qualifier: "Các địa phương có đủ điều kiện"
            return _Verdict(None, 0.95, group_kind(label, self.level), label)
        if name is not None and found.score >= REVIEW_FLOOR:
            return _Verdict(name, found.score, "fuzzy", preselect=found.close)
        return _Verdict(None, 0.0, "unknown")

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

    def _fuzzy(self, key: str, canon: str) -> tuple[str | None, _Candidate]:
        """The registry name closest to a folded piece, with its score (0 if none is close), whether it is of
        the same level of body and whether it is close enough to be offered ready to accept."""
        tokens = tuple(key.split())
        piece_levels = levels(canon)
        stem, canon_stem = strip_place(key), strip_place(canon)
        best: dict[str, _Candidate] = {}
        structural: set[str] = set()  # names whose best score comes from a truncation or dropped words
        codes = name_codes(tokens)
        seq = SequenceMatcher(None, autojunk=False)
        for k in self._keys:
            ratio = max(self._ratio(seq, key, tokens, k.text, k.tokens),
                        self._ratio(seq, canon, tuple(canon.split()), k.canon, tuple(k.canon.split()))
                        if canon != key or k.canon != k.text else 0.0)
            score = self._structural_score(ratio, key, tokens, stem, k)
            if canon_stem and canon_stem in (k.canon, strip_place(k.canon)):
                score = max(score, 0.95)  # place words added to a short form: "UBND tỉnh Thanh Hóa"
            same_level = piece_levels.same(k.levels)
            if codes != k.codes:
                score = min(score, self.threshold - 0.1)
            if not same_level:  # another kind of body: a hint for a person at most
                score = min(score, self.threshold - 0.05)
            close = same_level and piece_levels.head is not None and k.levels.head is not None \
                and codes == k.codes and _rest_ratio(piece_levels, k.levels) >= PRESELECT_REST
            current = best.get(k.name)
            if current is None or (score, same_level) > (current.score, current.same_level):
                best[k.name] = _Candidate(score, same_level, close)
                if ratio < self.threshold <= score:
                    structural.add(k.name)
                else:
                    structural.discard(k.name)
        if not best:
            return None, _Candidate(0.0, False, False)
        # A body of the same level first: another level's name is a hint only when there is nothing else.
        ranked = sorted(best.items(), key=lambda item: (not item[1].same_level, -item[1].score,
                                                        self._order[item[0]]))
        name, found = ranked[0]
        if len(ranked) > 1:
            # Close runners-up make the piece ambiguous; after a truncation or dropped words any
            # plausible runner-up does ("Văn phòng Tỉnh": Văn phòng [UBND] tỉnh or Văn phòng Tỉnh [ủy]).
            runner_up = ranked[1][1].score
            if runner_up >= found.score - AMBIGUITY_MARGIN or (name in structural and runner_up >= 0.85):
                found = _Candidate(min(found.score, self.threshold - 0.05), found.same_level, False)
        return name, _Candidate(round(found.score, 3), found.same_level, found.close)

    def _ratio(self, seq: SequenceMatcher, key: str, tokens: tuple[str, ...], other: str,
               other_tokens: tuple[str, ...]) -> float:
        """difflib's ratio of two folded names, held under the threshold unless they differ by typos only."""
        seq.set_seqs(other, key)
        if seq.real_quick_ratio() < REVIEW_FLOOR or seq.quick_ratio() < REVIEW_FLOOR:
            return 0.0
        ratio = seq.ratio()
        if ratio >= self.threshold and not _typo_of(tokens, other, other_tokens, seq):
            ratio = self.threshold - 0.05
        return ratio

    @staticmethod
    def _structural_score(ratio: float, key: str, tokens: tuple[str, ...], stem: str, k: _Key) -> float:
        """The piece's score against one key, raised where it is the key cut short, with words dropped or
        place words added."""
        score = ratio
        if len(tokens) >= 2 and k.text.startswith(key) and len(k.text) > len(key):
            kept = len(key) / len(k.text)
            if k.text[len(key)] != " ":  # cut off inside a word: "Sở Khoa học và Công ngh"
                score = max(score, 0.75 + 0.25 * kept)
            else:  # whole words missing at the end may change the agency: "Văn phòng Tỉnh"
                score = max(score, 0.6 + 0.35 * kept)
        gap = word_gap(tokens, k.tokens)
        if gap == 1:  # one inner word dropped: "Văn UBND tỉnh"
            score = max(score, 0.85 + 0.15 * len(key) / len(k.text))
        elif gap:  # two or three: a renamed or merged agency, for a person to confirm
            score = max(score, 0.75 + 0.15 * len(key) / len(k.text))
        if stem == k.text:  # place words added: "Sở Tài chính tỉnh Thanh Hóa"
            score = max(score, 0.95)
        return score


def _typo_of(tokens: tuple[str, ...], other: str, other_tokens: tuple[str, ...], seq: SequenceMatcher) -> bool:
    """Whether a close piece differs from a name by typos only, not by a swapped word or two.

    "Sở Ngoại vụ" is 0.9 from "Sở Nội vụ", "cấp tỉnh" 0.93 from "CA tỉnh" and "Văn phòng HĐND
    tỉnh" 0.89 from "Văn phòng UBND tỉnh": a name may have one edited letter per 12 letters (so
    short names and abbreviations only tolerate accent and case errors, which fold away), and
    no word replaced by a dissimilar one.
    """
    matched = sum(block.size for block in seq.get_matching_blocks())
    edits = (len(other) + len(seq.b) - 2 * matched + 1) // 2  # a swapped letter counts once
    if edits > len(other) // 12:
        return False
    for op, i1, i2, j1, j2 in SequenceMatcher(None, tokens, other_tokens, autojunk=False).get_opcodes():
        if op == "replace":
            a, b = " ".join(tokens[i1:i2]), " ".join(other_tokens[j1:j2])
            if min(len(a), len(b)) >= 3 and SequenceMatcher(None, a, b, autojunk=False).ratio() < 0.6:
                return False
    return True


def _rest_ratio(a: Levels, b: Levels) -> float:
    """How close two names are outside their level words (1.0 when neither has any other word)."""
    if not a.rest and not b.rest:
        return 1.0
    return SequenceMatcher(None, a.rest, b.rest, autojunk=False).ratio()


def level_conflict(text: str, agency: str) -> tuple[str, str] | None:
    """The level words that make ``text`` another body than the registry agency ``agency`` ("Đảng ủy" and
    "UBND" for "Đảng ủy UBND tỉnh" / "UBND tỉnh"), or None when ``text`` may be a name of it.

    A name that lost its level word ("Văn UBND tỉnh") may be a name of any body; a central body is never one
    of the province's agencies.
    """
    text_canon, agency_canon = canonical(fold_words(text)), canonical(fold_words(agency))
    if central_bodies(text_canon):
        return "Trung ương", LEVEL_LABELS.get(levels(agency_canon).head or "", agency)
    mine, theirs = levels(text_canon), levels(agency_canon)
    if mine.head and theirs.head and mine.head != theirs.head:
        return LEVEL_LABELS[mine.head], LEVEL_LABELS[theirs.head]
    extra = [b for b in mine.bodies if b not in theirs.bodies]
    if extra:
        missing = [b for b in theirs.bodies if b not in mine.bodies]
        return LEVEL_LABELS[extra[0]], LEVEL_LABELS[missing[0]] if missing else agency
    return None
