"""tests/fixtures holds the real official documents of ../shared/fixtures byte for byte, never cleaned by hand:
wherever the shared folder stands beside the checkout (as on CI), the two must be the same files."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES

SHARED = FIXTURES.parents[2] / "shared" / "fixtures"


def test_the_copies_are_the_documents_as_published():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not beside this checkout: nothing to compare the copies with")
    shared = {p.name: p.read_bytes() for p in SHARED.iterdir() if p.is_file()}
    copies = {p.name: p.read_bytes() for p in FIXTURES.iterdir() if p.is_file()}
    assert copies == shared
