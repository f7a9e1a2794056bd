"""cxrkit.images as a package: its public face, re-exported from the modules of each idea."""

from __future__ import annotations

import pytest

from cxrkit import images
from cxrkit.images import encode


def test_images_is_the_public_face_of_the_split_modules():
    """Every contract name is importable from cxrkit.images, whichever module of its idea defines it."""
    import subprocess
    import sys

    from cxrkit.images import display, picture, stored

    for name in images.__all__:
        assert getattr(images, name) is not None, name
    assert images.read_stored is stored.read_stored and images.read_image is picture.read_image
    assert images.to_png is encode.to_png and images.apply_window is display.apply_window
    assert set(images.__all__) <= set(dir(images))
    with pytest.raises(AttributeError):
        images.no_such_name  # noqa: B018
    code = "from cxrkit.images import *; import sys; print(read_image.__module__, 'pydicom' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["cxrkit.images.picture", "False"]  # star-import works; pydicom still loads lazily
