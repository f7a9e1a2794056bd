"""From any MIMIC-CXR image file to a correct picture, and tables over many images.

Plain functions of a path (``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg``), each in the module of its idea:

* :mod:`~cxrkit.images.header` - :func:`read_header`, the tags users of this dataset care about, without
  pixels; :func:`header_from_bytes`, the same from a file's first bytes.
* :mod:`~cxrkit.images.stored` - :func:`read_stored`, the stored integer pixel values, any transfer syntax.
* :mod:`~cxrkit.images.picture` - :func:`read_modality` and :func:`read_image`, the display-ready 2-D
  ``float32`` picture in [0, 1], bone white whatever the PhotometricInterpretation: modality LUT, then VOI LUT
  or window, then MONOCHROME1 inversion; :mod:`~cxrkit.images.display` holds the array math
  (:func:`apply_window`, :func:`block_mean`).
* :mod:`~cxrkit.images.encode` - :func:`to_png`, :func:`to_jpeg`, :func:`thumbnail` (cached by file identity)
  and :func:`dicom_to_mimic_jpg`, the MIMIC-CXR-JPG recipe (:mod:`~cxrkit.images.mimic_jpg`) on a file.
* :mod:`~cxrkit.images.stats` - :func:`header_table` and :func:`pixel_stats`, one row per image over many
  files, in parallel and cached.

Every error is an :class:`~cxrkit.errors.ImageReadError` subclass naming the file and saying what to do.

Examples
--------
>>> import cxrkit
>>> from cxrkit.images import read_header, read_image, to_png
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
>>> header, picture = read_header(path), read_image(path, max_size=512)
>>> f = -(-max(header["Rows"], header["Columns"]) // 512)  # averaged over f x f blocks
>>> picture.dtype, picture.shape == (header["Rows"] // f, header["Columns"] // f)
(dtype('float32'), True)
>>> to_png(picture)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from ..errors import (
    CorruptImageError,
    ImageReadError,
    NotAnImageError,
    UndecodableImageError,
    UnsupportedImageError,
)
from .display import apply_window, block_mean
from .encode import dicom_to_mimic_jpg, thumbnail, to_jpeg, to_png
from .header import HEADER_KEYS, header_from_bytes, read_header
from .mimic_jpg import to_mimic_jpg
from .picture import read_image, read_modality
from .stats import HEADER_SCHEMA, STATS_SCHEMA, header_table, pixel_stats
from .stored import read_stored

__all__ = [
    "HEADER_KEYS",
    "HEADER_SCHEMA",
    "STATS_SCHEMA",
    "CorruptImageError",
    "ImageReadError",
    "NotAnImageError",
    "UndecodableImageError",
    "UnsupportedImageError",
    "apply_window",
    "block_mean",
    "dicom_to_mimic_jpg",
    "header_from_bytes",
    "header_table",
    "pixel_stats",
    "read_header",
    "read_image",
    "read_modality",
    "read_stored",
    "thumbnail",
    "to_jpeg",
    "to_mimic_jpg",
    "to_png",
]
