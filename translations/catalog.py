"""The English catalogue: extract the Vietnamese msgids, merge them into the .po, compile the .mo.

    .venv/bin/python translations/catalog.py update    # new msgids into en/LC_MESSAGES/messages.po
    .venv/bin/python translations/catalog.py compile   # messages.po -> messages.mo (kept in the repository)
    .venv/bin/python translations/catalog.py check     # untranslated msgids or a stale .mo: exit 1

Extraction reads babel.cfg (templates, views, workflows, app.py) with the DomainError classes as keywords,
plus the UI vocabulary kept in Python constants (views/i18n.py VOCABULARY: statuses, roles, output types,
decisions, history actions, diagram key). tests/test_i18n.py runs the same checks.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None,
            **{name: None for name in ("DomainError", "Invalid", "Conflict", "NotAllowed", "NotFound", "Message")}}


def _mapping():
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        return parse_mapping_cfg(cfg)


def vocabulary() -> list[str]:
    """UI words kept in Python dicts outside the extracted call sites."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from views.i18n import VOCABULARY

    return sorted({word for table in VOCABULARY for word in table.values()})


def extract() -> Catalog:
    """Every msgid the application can show, with where it comes from."""
    method_map, options_map = _mapping()
    catalog = Catalog(locale=None, project="theodoi", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        if message is None or message == "" or (isinstance(message, tuple) and not message[0]):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for word in vocabulary():
        if word not in catalog:
            catalog.add(word, None, [("views/i18n.py", 0)])
    return catalog


def read() -> Catalog:
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


def update() -> Catalog:
    """Merge the extracted msgids into the English .po (new ones empty, vanished ones dropped)."""
    template = extract()
    catalog = read() if PO.exists() else Catalog(locale="en", project="theodoi")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with open(PO, "wb") as f:
        write_po(f, catalog, width=120, sort_output=False, omit_header=False, include_previous=False)
    return catalog


def compiled(catalog: Catalog | None = None) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog or read(), use_fuzzy=False)
    return buf.getvalue()


def compile_mo() -> None:
    catalog = read()
    errors = [(m.id, e) for m, es in catalog.check() for e in es]
    if errors:
        raise SystemExit("\n".join(f"{mid!r}: {err}" for mid, err in errors))
    MO.write_bytes(compiled(catalog))


def untranslated(catalog: Catalog | None = None) -> list[str]:
    """Extracted msgids with no English (missing from the .po, empty or fuzzy)."""
    catalog = catalog or read()
    missing = []
    for message in extract():
        if not message.id:
            continue
        entry = catalog.get(message.id)
        strings = entry.string if entry is not None else None
        if isinstance(strings, (tuple, list)):
            empty = not all(strings)
        else:
            empty = not strings
        if entry is None or empty or entry.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        print(f"{PO.relative_to(ROOT)}: {len(untranslated())} msgids without English")
    elif command == "compile":
        compile_mo()
        print(f"{MO.relative_to(ROOT)} written")
    elif command == "check":
        missing = untranslated()
        stale = not MO.exists() or MO.read_bytes() != compiled()
        for mid in missing:
            print(f"untranslated: {mid!r}")
        if stale:
            print(f"{MO.relative_to(ROOT)} is stale: run `translations/catalog.py compile`")
        return 1 if missing or stale else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
