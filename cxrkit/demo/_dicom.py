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

import hashlib
import io

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


def _code(value: str, scheme: str, meaning: str):
    from pydicom.dataset import Dataset

    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def dicom_bytes(
    plan_row: dict, study: dict, stored: np.ndarray, seed: int, scale: float, index: int, version: str = ""
) -> bytes:
    """The DICOM file of one image (``plan_row``: the plan's image row; ``stored``: its stored pixels)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence

    syntax = plan_row.get("transfer_syntax") or EXPLICIT_LE
    sop_uid = uid(seed, "sop", plan_row["dicom_id"])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_SOP_CLASS
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = EXPLICIT_LE
    meta.ImplementationClassUID = uid(0, "cxrkit-demo-implementation")
    meta.ImplementationVersionName = f"CXRKIT_DEMO_{version}"[:16]

    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SOPClassUID = DX_SOP_CLASS
    ds.SOPInstanceUID = sop_uid
    date = str(study["StudyDate"])
    ds.StudyDate = date
    ds.ContentDate = date
    ds.StudyTime = study["study_time_text"]
    ds.ContentTime = study["study_time_text"]
    ds.AccessionNumber = str(study["study_id"])
    ds.Modality = "DX"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.Manufacturer = ""
    ds.ReferringPhysicianName = ""
    description = study["description"]
    ds.ProcedureCodeSequence = Sequence([_code(PROCEDURE_CODES.get(description, "71010"), "C4", description)])
    ds.PatientName = ""
    ds.PatientID = str(plan_row["subject_id"])
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.BodyPartExamined = "CHEST"
    ds.AcquisitionDeviceProcessingDescription = plan_row["adpd"]
    ds.StudyInstanceUID = uid(seed, "study", study["study_id"])
    ds.SeriesInstanceUID = uid(seed, "series", plan_row["dicom_id"])
    ds.StudyID = str(study["study_id"])
    ds.SeriesNumber = 1
    ds.InstanceNumber = index + 1
    lateral = plan_row["view"] in LATERAL_VIEWS
    # rows run to the patient's left (frontal, as displayed) or back (lateral); columns to the feet
    ds.PatientOrientation = ["P", "F"] if lateral else ["L", "F"]
    ds.ImageLaterality = "U"
    ds.AnatomicRegionSequence = Sequence([_code("T-D3000", "SRT", "Chest")])
    ds.AcquisitionContextSequence = Sequence([])
    ds.DetectorType = plan_row["detector"]
    ds.PositionerType = plan_row["positioner"]
    ds.ViewPosition = plan_row["ViewPosition"]
    meaning = plan_row["ViewCodeSequence_CodeMeaning"]
    if meaning:  # Type 3: absent rather than empty when the view was not coded
        ds.ViewCodeSequence = Sequence([_code(*VIEW_CODES.get(meaning, ("R-10202", "SRT")), meaning)])
    orientation = plan_row["PatientOrientationCodeSequence_CodeMeaning"]
    if orientation:
        ds.PatientOrientationCodeSequence = Sequence([_code(*ORIENTATION_CODES[orientation], orientation)])
    ds.PerformedProcedureStepDescription = description
    rows, cols = stored.shape
    ds.SamplesPerPixel = 1
    photometric = plan_row["photometric"]
    ds.PhotometricInterpretation = photometric
    ds.PresentationLUTShape = "INVERSE" if photometric == "MONOCHROME1" else "IDENTITY"
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = 1 if photometric == "MONOCHROME1" else -1
    ds.Rows = rows
    ds.Columns = cols
    spacing = f"{PIXEL_SPACING_MM / scale:.6g}"
    ds.PixelSpacing = [spacing, spacing]
    ds.ImagerPixelSpacing = [spacing, spacing]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.BurnedInAnnotation = "NO"
    lo, hi = np.percentile(stored[:: max(1, rows // 128), :: max(1, cols // 128)], [1, 99])
    center, width = round((lo + hi) / 2), max(16, round(hi - lo))
    if plan_row["lut"] in ("window", "both"):
        ds.WindowCenter = str(center)
        ds.WindowWidth = str(width)
    if plan_row["lut"] in ("voi", "both"):
        x = np.arange(4096, dtype=np.float64)
        table = 4095.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
        lut = Dataset()
        lut.add_new(0x00283002, "US", [4096, 0, 12])  # LUTDescriptor
        lut.LUTExplanation = "NORMAL"
        lut.add_new(0x00283006, "OW", np.rint(table).astype("<u2").tobytes())  # LUTData
        ds.VOILUTSequence = Sequence([lut])
    ds.RescaleIntercept = "0"  # the DX IOD allows only the identity rescale
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.LossyImageCompression = "00"
    ds.PixelData = stored.astype("<u2").tobytes()
    ds["PixelData"].VR = "OW"
    if syntax not in (EXPLICIT_LE, DEFLATED):
        ds.compress(syntax, stored.astype(np.uint16), generate_instance_uid=False)
    else:
        meta.TransferSyntaxUID = syntax
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
