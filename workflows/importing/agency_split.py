"""Cut an agency cell into the pieces it names, as written, keeping known names whole even where they hold
commas or "và".

How a cell is read:

1. bracketed notes are taken out (``agency_names.strip_notes``);
2. the cell is cut into hard segments at ";", newlines and bullets ("-" and "." are ignored);
3. each segment is scanned word by word, accent- and case-insensitively, for the longest known
   name, alias or collective pattern, so names holding commas or "và" stay whole; a shared-prefix
   header ("Các sở:") lends its prefix to the items after it; a role phrase written right after
   an agency ("… báo cáo, thực hiện theo chỉ đạo của …") becomes a note;
4. words left over are joined to a neighbour they are glued to when that resolves them ("Văn
   UBND tỉnh", "Địa phương được lựa chọn"), and otherwise cut at "," and "và" only where that
   lets more words resolve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from workflows.importing.agency_names import (
    PERSON_TITLES,
    PLACE_SUFFIXES,
    PREFIX_READINGS,
    ROLE_PHRASES,
    Match,
    canonical,
    levels,
)
from workflows.text import fold_words

_TOKEN_RE = re.compile(
    r"(?P<word>(?:[^\W_]|[\u0300-\u036f])+)|(?P<hard>[;；\n\r•·])|(?P<comma>[,，])|(?P<colon>[:：])"
)


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


class CellSplitter:
    """Split the segments of a cell by the matcher's word trie, asking the matcher how well a piece resolves."""

    def __init__(self, trie: dict, match: Callable[[str], Match], threshold: float) -> None:
        self._trie = trie  # normalized word -> subtree; "" marks the end of a key with its payload
        self.match = match
        self.threshold = threshold

    def segments(self, body: str) -> Iterator[tuple[list[str], list[str]]]:
        """The pieces and role notes of each hard segment of a cell whose bracketed notes are blanked out."""
        for tokens in _segments(body):
            yield self._split_segment(body, tokens)

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
            if (glued or after_comma) and _starts_with(tokens, i, ROLE_PHRASES):
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
        while j < len(tokens) and tokens[j].kind == "word" and tokens[j].norm in PREFIX_READINGS:
            words.append(tokens[j].norm)
            j += 1
            if j < len(tokens) and tokens[j].kind == "comma":
                j += 1
        if not words or tokens[j - 1].kind == "comma" or j >= len(tokens):
            return None
        readings = tuple(r for w in words for r in PREFIX_READINGS[w])
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
            for word in fold_words(before).split():
                node = node.get(word) if node else None
            for end, payload in _walk(node or {}, tokens, i, fold_words(after).split()):
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

    def _glued(self, tail: str) -> bool:
        """Whether words written right after a known name belong to it: they name nothing on their own and start
        no other body."""
        m = self.match(tail)
        resolves = m.kind in ("exact", "alias", "group", "central") or (m.kind == "fuzzy" and m.score >= self.threshold)
        return not resolves and not _names_a_body(tail)

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
                    # place words qualify the name; other words glued to it may change it ("Sở KHCN&ĐMST tỉnh",
                    # "Sở Tài chính tỉnh Nghệ An"): the whole goes to review, never the known name alone
                    tail = _plain(body, tokens, *parts[0])
                    if fold_words(tail) in PLACE_SUFFIXES or (before.reading == ("", "") and self._glued(tail)):
                        before.end = parts[0][1]
                        parts = parts[1:]
        if after is not None and parts and parts[-1][1] == after.start and after.reading == ("", ""):
            start = parts[-1][0]
            # "Văn UBND tỉnh" resolves once joined; "Đảng ủy UBND tỉnh", "Văn phòng Sở Tài chính" name another
            # body (a Party committee, an office of the known one): never the known name with a word left over
            if self._confident(_plain(body, tokens, start, after.end)) \
                    or _names_a_body(_plain(body, tokens, start, parts[-1][1])):
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
            if m.kind in ("exact", "alias", "group", "central") or (m.kind == "fuzzy" and m.score >= self.threshold):
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
        norm = fold_words(m.group(0)) if kind == "word" else m.group(0)
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
    words = fold_words(after).split()
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


def _names_a_body(text: str) -> bool:
    """Whether words glued before a known name hold a level word ("Đảng ủy", "Ban Thường vụ", "Văn phòng") or a
    person's title ("Chủ tịch")."""
    key = canonical(fold_words(text))
    found = levels(key)
    return found.head is not None or bool(found.bodies) or (key + " ").startswith(tuple(t + " " for t in PERSON_TITLES))


def _starts_with(tokens: list[_Token], i: int, phrases: tuple[tuple[str, ...], ...]) -> bool:
    words = tuple(t.norm for t in tokens[i:i + 3])
    return any(words[:len(p)] == p for p in phrases)
