"""The demo's DICOM files: Digital X-Ray For Presentation objects that pass ``dciodvfy`` (private).

:func:`dicom_bytes` writes one image with the attributes MIMIC-CXR keeps (views and their codes, procedure,
orientation, shifted dates, the device-processing description) and those the DX IOD requires (presentation
LUT shape, pixel intensity relationship and sign, laterality, patient orientation, detector and positioner
type, anatomic region, an identity rescale), in the image's transfer syntax: explicit VR little endian, or
JPEG 2000 lossless, JPEG-LS lossless, RLE lossless or deflated (see :mod:`cxrkit.demo._machines`).

Examples
--------
>>> uid(0, "study", 50414267).startswith("2.25.")
True
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import zlib

import numpy as np

from ._machines import EXPLICIT_LE

DX_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
DEFLATED = "1.2.840.10008.1.2.1.99"
PIXEL_SPACING_MM = 0.139
VIEW_CODES = {
    "postero-anterior": ("R-10214", "SRT"),
    "antero-posterior": ("R-10206", "SRT"),
    "lateral": ("R-10232", "SRT"),
    "left lateral": ("R-10236", "SRT"),
}
ORIENTATION_CODES = {"Erect": ("F-10440", "SRT"), "Recumbent": ("F-10450", "SRT")}
PROCEDURE_CODES = {
    "CHEST (PA AND LAT)": "71020",
    "CHEST (PRE-OP PA & LAT)": "71020",
    "CHEST (PORTABLE AP)": "71010",
    "CHEST PORT. LINE PLACEMENT": "71010",
    "CHEST (SINGLE VIEW)": "71010",
}
LATERAL_VIEWS = {"LATERAL", "LL", "XTABLE LATERAL", "SWIMMERS"}


def uid(seed: int, *parts: object) -> str:
    """A deterministic UID under the ``2.25`` root (a UUID-derived integer)."""
    digest = hashlib.sha256(repr(("cxrkit-demo", seed, *parts)).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def _code(value: str, scheme: str, meaning: str) -> list[tuple]:
    return [("CodeValue", value), ("CodingSchemeDesignator", scheme), ("CodeMeaning", meaning)]


def elements(
    plan_row: dict, study: dict, stored: np.ndarray, seed: int, scale: float, index: int
) -> list[tuple]:
    """The dataset of one image without its pixel data, as ``(keyword or (tag, VR), value)`` pairs; a
    sequence's value is a list of items, each such a list (see :func:`encode`)."""
    sop_uid = uid(seed, "sop", plan_row["dicom_id"])
    date, time = str(study["StudyDate"]), study["study_time_text"]
    description = study["description"]
    lateral = plan_row["view"] in LATERAL_VIEWS
    photometric = plan_row["photometric"]
    rows, cols = stored.shape
    spacing = f"{PIXEL_SPACING_MM / scale:.6g}"
    out: list[tuple] = [
        ("SpecificCharacterSet", "ISO_IR 100"),
        ("ImageType", ["DERIVED", "PRIMARY"]),
        ("SOPClassUID", DX_SOP_CLASS),
        ("SOPInstanceUID", sop_uid),
        ("StudyDate", date),
        ("ContentDate", date),
        ("StudyTime", time),
        ("ContentTime", time),
        ("AccessionNumber", str(study["study_id"])),
        ("Modality", "DX"),
        ("PresentationIntentType", "FOR PRESENTATION"),
        ("Manufacturer", ""),
        ("ReferringPhysicianName", ""),
        ("ProcedureCodeSequence", [_code(PROCEDURE_CODES.get(description, "71010"), "C4", description)]),
        ("PatientName", ""),
        ("PatientID", str(plan_row["subject_id"])),
        ("PatientBirthDate", ""),
        ("PatientSex", ""),
        ("BodyPartExamined", "CHEST"),
        ("AcquisitionDeviceProcessingDescription", plan_row["adpd"]),
        ("StudyInstanceUID", uid(seed, "study", study["study_id"])),
        ("SeriesInstanceUID", uid(seed, "series", plan_row["dicom_id"])),
        ("StudyID", str(study["study_id"])),
        ("SeriesNumber", "1"),
        ("InstanceNumber", str(index + 1)),
        # rows run to the patient's left (frontal, as displayed) or back (lateral); columns to the feet
        ("PatientOrientation", ["P", "F"] if lateral else ["L", "F"]),
        ("ImageLaterality", "U"),
        ("AnatomicRegionSequence", [_code("T-D3000", "SRT", "Chest")]),
        ("AcquisitionContextSequence", []),
        ("DetectorType", plan_row["detector"]),
        ("PositionerType", plan_row["positioner"]),
        ("ViewPosition", plan_row["ViewPosition"]),
    ]
    meaning = plan_row["ViewCodeSequence_CodeMeaning"]
    if meaning:  # Type 3: absent rather than empty when the view was not coded
        out.append(("ViewCodeSequence", [_code(*VIEW_CODES.get(meaning, ("R-10202", "SRT")), meaning)]))
    orientation = plan_row["PatientOrientationCodeSequence_CodeMeaning"]
    if orientation:
        out.append(("PatientOrientationCodeSequence", [_code(*ORIENTATION_CODES[orientation], orientation)]))
    out += [
        ("PerformedProcedureStepDescription", description),
        ("SamplesPerPixel", 1),
        ("PhotometricInterpretation", photometric),
        ("PresentationLUTShape", "INVERSE" if photometric == "MONOCHROME1" else "IDENTITY"),
        ("PixelIntensityRelationship", "LOG"),
        ("PixelIntensityRelationshipSign", 1 if photometric == "MONOCHROME1" else -1),
        ("Rows", rows),
        ("Columns", cols),
        ("PixelSpacing", [spacing, spacing]),
        ("ImagerPixelSpacing", [spacing, spacing]),
        ("BitsAllocated", 16),
        ("BitsStored", 12),
        ("HighBit", 11),
        ("PixelRepresentation", 0),
        ("BurnedInAnnotation", "NO"),
    ]
    lo, hi = np.percentile(stored[:: max(1, rows // 128), :: max(1, cols // 128)], [1, 99])
    center, width = round((lo + hi) / 2), max(16, round(hi - lo))
    if plan_row["lut"] in ("window", "both"):
        out += [("WindowCenter", str(center)), ("WindowWidth", str(width))]
    if plan_row["lut"] in ("voi", "both"):
        x = np.arange(4096, dtype=np.float64)
        table = 4095.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
        lut = [
            ((0x00283002, "US"), [4096, 0, 12]),  # LUTDescriptor
            ("LUTExplanation", "NORMAL"),
            ((0x00283006, "OW"), np.rint(table).astype("<u2").tobytes()),  # LUTData
        ]
        out.append(("VOILUTSequence", [lut]))
    out += [
        ("RescaleIntercept", "0"),  # the DX IOD allows only the identity rescale
        ("RescaleSlope", "1"),
        ("RescaleType", "US"),
        ("LossyImageCompression", "00"),
    ]
    return out


_LONG = frozenset(("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"))
_PACK = {"US": "H", "SS": "h", "UL": "I", "SL": "i"}


@functools.cache
def _tag_vr(keyword: str) -> tuple[int, str]:
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    tag = tag_for_keyword(keyword)
    return tag, dictionary_VR(tag)


def _element(tag: int, vr: str, value) -> bytes:
    if vr == "SQ":
        body = b"".join(
            b"\xfe\xff\x00\xe0" + struct.pack("<I", len(item)) + item for item in map(encode, value)
        )
    elif vr in _PACK:
        values = value if isinstance(value, list) else [value]
        body = struct.pack(f"<{len(values)}{_PACK[vr]}", *values)
    elif isinstance(value, bytes):
        body = value + b"\x00" * (len(value) % 2)
    else:
        body = ("\\".join(value) if isinstance(value, list) else value).encode("latin-1")
        if len(body) % 2:
            body += b"\x00" if vr == "UI" else b" "
    head = struct.pack("<HH2s", tag >> 16, tag & 0xFFFF, vr.encode())
    if vr in _LONG:
        return head + struct.pack("<HI", 0, len(body)) + body
    return head + struct.pack("<H", len(body)) + body


def _resolved(items: list[tuple]) -> list[tuple[int, str, object]]:
    out = []
    for key, value in items:
        tag, vr = key if isinstance(key, tuple) else _tag_vr(key)
        out.append((tag, vr, value))
    return sorted(out, key=lambda e: e[0])


def encode(items: list[tuple]) -> bytes:
    """``items`` (see :func:`elements`) as explicit VR little endian, as pydicom writes them (ascending tags,
    values padded to even length, defined lengths for sequences and items).

    Examples
    --------
    >>> encode([("Modality", "DX")])
    b'\\x08\\x00`\\x00CS\\x02\\x00DX'
    """
    return b"".join(_element(tag, vr, value) for tag, vr, value in _resolved(items))


def _dataset(items: list[tuple]):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = Dataset()
    for tag, vr, value in _resolved(items):
        if vr == "SQ":
            value = Sequence([_dataset(item) for item in value])
        ds.add_new(tag, vr, value)
    return ds


def _meta(plan_row: dict, seed: int, syntax: str, version: str) -> list[tuple]:
    return [
        ((0x00020001, "OB"), b"\x00\x01"),  # FileMetaInformationVersion
        ("MediaStorageSOPClassUID", DX_SOP_CLASS),
        ("MediaStorageSOPInstanceUID", uid(seed, "sop", plan_row["dicom_id"])),
        ("TransferSyntaxUID", syntax),
        ("ImplementationClassUID", uid(0, "cxrkit-demo-implementation")),
        ("ImplementationVersionName", f"CXRKIT_DEMO_{version}"[:16]),
    ]


def dicom_bytes(
    plan_row: dict, study: dict, stored: np.ndarray, seed: int, scale: float, index: int, version: str = ""
) -> bytes:
    """The DICOM file of one image (``plan_row``: the plan's image row; ``stored``: its stored pixels).

    Explicit VR little endian and deflated files are encoded here (:func:`encode`, the bytes pydicom would
    write, a few times faster; deflate at level 1); the compressed ones by pydicom.

    Examples
    --------
    >>> import io, pydicom
    >>> row = {"dicom_id": "d", "subject_id": 10000032, "view": "PA", "adpd": "CHEST, PA", "lut": "window",
    ...        "detector": "SCINTILLATOR", "positioner": "COLUMN", "ViewPosition": "PA", "photometric":
    ...        "MONOCHROME2", "ViewCodeSequence_CodeMeaning": "postero-anterior",
    ...        "PatientOrientationCodeSequence_CodeMeaning": "Erect"}
    >>> study = {"StudyDate": 21800506, "study_time_text": "213014.531", "study_id": 50414267,
    ...          "description": "CHEST (PA AND LAT)"}
    >>> data = dicom_bytes(row, study, np.full((4, 6), 900, np.uint16), 0, 0.25, 0)
    >>> ds = pydicom.dcmread(io.BytesIO(data))
    >>> buffer = io.BytesIO(); ds.save_as(buffer, enforce_file_format=True)
    >>> buffer.getvalue() == data, ds.pixel_array.shape
    (True, (4, 6))
    """
    syntax = plan_row.get("transfer_syntax") or EXPLICIT_LE
    items = elements(plan_row, study, stored, seed, scale, index)
    pixels = stored.astype("<u2", copy=False).tobytes()
    if syntax in (EXPLICIT_LE, DEFLATED):
        meta = encode(_meta(plan_row, seed, syntax, version))
        group = _element(0x00020000, "UL", len(meta))
        pixel_head = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, len(pixels))
        body = [encode(items), pixel_head, pixels]
        if syntax == DEFLATED:  # PS3.5 A.5: the dataset after the file meta, raw deflate, even length
            squeeze = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
            deflated = b"".join([*map(squeeze.compress, body), squeeze.flush()])
            body = [deflated, b"\x00" * (len(deflated) % 2)]
        return b"".join((b"\x00" * 128, b"DICM", group, meta, *body))
    from pydicom.dataset import FileMetaDataset

    ds = _dataset(items)
    meta = FileMetaDataset(_dataset(_meta(plan_row, seed, EXPLICIT_LE, version)))
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
    ds.PixelData = pixels
    ds["PixelData"].VR = "OW"
    ds.compress(syntax, stored.astype(np.uint16), generate_instance_uid=False)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
