"""Reading a report's bytes under the size cap: whole below it, one byte over it above it."""

import io

import pytest

from cxrkit.reports import MAX_REPORT_BYTES
from cxrkit.reports.encoding import FIRST_READ, read_capped


@pytest.mark.parametrize("size", [0, 1, FIRST_READ - 1, FIRST_READ, FIRST_READ + 1, 3 * FIRST_READ + 7])
def test_a_report_under_the_cap_is_read_whole(size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert read_capped(io.BytesIO(data)) == data


@pytest.mark.parametrize("limit", [10, FIRST_READ - 1, FIRST_READ, FIRST_READ + 5])
def test_a_report_over_the_cap_gives_one_byte_more_and_no_more(limit):
    data = b"x" * (limit + 1000)
    raw = read_capped(io.BytesIO(data), limit=limit)
    assert len(raw) == limit + 1
    assert read_capped(io.BytesIO(data[:limit]), limit=limit) == data[:limit]


def test_the_default_cap_is_the_kits_report_limit():
    fh = io.BytesIO(b"y" * (MAX_REPORT_BYTES + 10))
    assert len(read_capped(fh)) == MAX_REPORT_BYTES + 1
