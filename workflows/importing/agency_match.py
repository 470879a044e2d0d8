"""Resolve agency names as written in assignment documents against the province's registry.

Cells of the appendix tables ("Cơ quan chủ trì", "Cơ quan phối hợp") hold one or several agencies, written
with OCR and typing errors, truncations, shared prefixes and collective names. ``AgencyMatcher`` splits such
a cell (``agency_split``) and resolves every piece to a registry name, to a group, or to the review list; it
never invents an agency. Pure code: the registry is passed in. Names are compared folded
(``text.fold_words``); difflib scores what is not exact.

Every piece is finally resolved by ``match`` on its own text, so ``resolve(cell).matches`` equals
``[match(p) for p in split(cell)]``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from workflows.importing.agency_names import (
    AMBIGUITY_MARGIN,
    COLLECTIVE_PATTERNS,
    DEFAULT_THRESHOLD,
    REVIEW_FLOOR,
    CellResolution,
    Match,
    RegistryEntry,
    name_codes,
    strip_notes,
    strip_place,
    word_gap,
)
from workflows.importing.agency_split import CellSplitter
from workflows.text import fold_words

_CACHE_SIZE = 50_000  # pieces remembered per matcher (a province's documents repeat the same names)


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
            key = fold_words(pattern)
            if key not in self._exact and key not in self._alias and key not in self._groups:
                self._groups[key] = label
                self._trie_insert(key, ("group", label))
        self._order = {name: i for i, name in enumerate(self.names)}
        self._cache: dict[str, tuple[str | None, float, str, str | None]] = {}
        self._splitter = CellSplitter(self._trie, self.match, threshold)

    def _add_key(self, text: str, name: str, table: dict[str, str]) -> None:
        key = fold_words(strip_notes(text)[0])
        owner = self._exact.get(key) or self._alias.get(key)
        if not key or owner == name:
            return
        if owner is not None:
            raise ValueError(f"Tên “{text}” đang dùng cho cả “{owner}” và “{name}”; mỗi tên chỉ thuộc một cơ quan.")
        table[key] = name
        self._trie_insert(key, ("agency", name))
        tokens = tuple(key.split())
        self._keys.append(_Key(key, tokens, name_codes(tokens), name))

    def _trie_insert(self, key: str, payload: tuple[str, str]) -> None:
        node = self._trie
        for word in key.split():
            node = node.setdefault(word, {})
        node.setdefault("", payload)  # "" is never a word: it marks the end of a key

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
        name, score, kind, group = self._classify(fold_words(strip_notes(text)[0]))
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
        codes = name_codes(tokens)
        stem = strip_place(key)
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
            score = self._structural_score(ratio, key, tokens, stem, k)
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
    def _structural_score(ratio: float, key: str, tokens: tuple[str, ...], stem: str, k: _Key) -> float:
        """The piece's score against one key, raised where it is the key cut short, with words dropped or
        place words added."""
        score = ratio
        if len(tokens) >= 2 and k.text.startswith(key):
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
