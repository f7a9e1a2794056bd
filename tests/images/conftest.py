"""Fixtures shared by the tests of ``cxrkit.images`` (test_header, test_stored, test_picture, test_encode)."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("_image_files")  # its assert_error reports like a test's asserts

from _image_files import make_files


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """name -> path of a small file of each transfer syntax and pixel case (``_image_files.MADE``,
    ``BUNDLED``, ...), written once per test module; read-only."""
    return make_files(tmp_path_factory.mktemp("dicoms"))
