"""A lean DICOM header parser: the few tags the kit needs, straight from the first kilobytes of a file.

``pydicom.dcmread(stop_before_pixels=True)`` builds a whole Dataset; scanning hundreds of thousands of
headers only needs a score of values. This module walks the elements of an in-memory head (preamble, file
meta, then the dataset in explicit or implicit VR little endian), decodes nothing but the wanted tags, and
goes into sequences only for the CodeMeaning of ViewCodeSequence, ProcedureCodeSequence and
PatientOrientationCodeSequence. Anything unusual raises :class:`Unusual` (the caller then uses pydicom); a
head that ends too early raises :class:`Truncated` (the caller reads more). Pure functions of bytes: no I/O.

Examples
--------
>>> convert("time", "080556.875"), convert("date", "21800506")
(datetime.time(8, 5, 56, 875000), datetime.date(2180, 5, 6))
>>> convert("ds2", ["0.139", "0.139"]), convert("str", "  PA ")
((0.139, 0.139), 'PA')
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

# tag -> (key, kind); kinds: str, date, time, int (US), is (IS string), ds (first value), ds2 (pair), code
TAGS: dict[int, tuple[str, str]] = {
    0x00080020: ("StudyDate", "date"),
    0x00080030: ("StudyTime", "time"),
    0x00080060: ("Modality", "str"),
    0x00081032: ("ProcedureCodeMeaning", "code"),
    0x00181164: ("ImagerPixelSpacing", "ds2"),
    0x00185101: ("ViewPosition", "str"),
    0x00280002: ("SamplesPerPixel", "int"),
    0x00280004: ("PhotometricInterpretation", "str"),
    0x00280008: ("NumberOfFrames", "is"),
    0x00280010: ("Rows", "int"),
    0x00280011: ("Columns", "int"),
    0x00280030: ("PixelSpacing", "ds2"),
    0x00280100: ("BitsAllocated", "int"),
    0x00280101: ("BitsStored", "int"),
    0x00280103: ("PixelRepresentation", "int"),
    0x00281050: ("WindowCenter", "ds"),
    0x00281051: ("WindowWidth", "ds"),
    0x00281052: ("RescaleIntercept", "ds"),
    0x00281053: ("RescaleSlope", "ds"),
    0x00400254: ("PerformedProcedureStepDescription", "str"),
    0x00540220: ("ViewCodeMeaning", "code"),
    0x00540410: ("PatientOrientation", "code"),
}
KEYWORDS = {  # key -> DICOM keyword where they differ
    "ViewCodeMeaning": "ViewCodeSequence",
    "ProcedureCodeMeaning": "ProcedureCodeSequence",
    "PatientOrientation": "PatientOrientationCodeSequence",
}
_CHARSET, _CODE_MEANING, PIXEL_DATA, _TS = 0x00080005, 0x00080104, 0x7FE00010, 0x00020010
LAST_HEADER_TAG = max(TAGS)
_KEYS_OF_TAGS = [key for key, _ in TAGS.values()]
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_SHORT_VRS = {
    b"AE",
    b"AS",
    b"AT",
    b"CS",
    b"DA",
    b"DS",
    b"DT",
    b"FD",
    b"FL",
    b"IS",
    b"LO",
    b"LT",
    b"PN",
    b"SH",
    b"SL",
    b"SS",
    b"ST",
    b"TM",
    b"UI",
    b"UL",
    b"US",
}
_SEQ_TAGS = {t for t, (_, kind) in TAGS.items() if kind == "code"}
IMPLICIT_LE, EXPLICIT_LE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
_CODECS = {"": "ascii", "ISO_IR 6": "ascii", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
U16, U32, TAG = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<HH")
_EXPLICIT, _IMPLICIT = struct.Struct("<HH2sH"), struct.Struct("<HHI")


class Truncated(Exception):
    """The buffer ended before the parse did: read more of the file."""


class Unusual(Exception):
    """Something the fast parser does not handle: let pydicom read the file."""


def clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    text = str(value).strip(" \x00")
    return text or None


def convert(kind: str, value: Any) -> Any:
    """One converter for both readers: raw strings (fast parser) and pydicom values give the same result."""
    if kind in ("str", "code"):
        return clean(value)
    if kind == "int":
        return None if value is None else int(value)
    if isinstance(value, str):
        text = value.strip(" \x00")
        if not text:
            return None
        values = text.split("\\") if kind in ("ds2", "is", "ds") else [text]
    elif isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        values = list(value)
    else:
        text = clean(value)
        if text is None:
            return None
        values = text.split("\\")
    try:
        if kind == "is":
            return int(float(values[0]))
        if kind == "ds":
            return float(values[0])
        if kind == "ds2":
            return (float(values[0]), float(values[1])) if len(values) >= 2 else None
        if kind == "date":
            return _parse_date(str(values[0]))
        if kind == "time":
            return _parse_time(str(values[0]))
    except (ValueError, IndexError):
        return None
    raise AssertionError(kind)  # pragma: no cover


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text.isdigit():  # old forms: YYYY.MM.DD
        text = text.replace(".", "").replace("-", "")
    try:
        return dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


def _parse_time(text: str) -> dt.time | None:
    text = text.strip()
    if ":" in text:  # old form HH:MM:SS
        text = text.replace(":", "")
    whole, _, frac = text.partition(".")
    if len(whole) not in (2, 4, 6) or not whole.isdigit() or (frac and not frac.isdigit()):
        return None
    hh, mm, ss = int(whole[0:2]), int(whole[2:4] or 0), int(whole[4:6] or 0)
    try:
        return dt.time(hh, mm, min(ss, 59), int((frac + "000000")[:6]))
    except ValueError:
        return None


def _dataset(
    buf: bytes,
    pos: int,
    end: int | None,
    explicit: bool,
    want: set[int] | dict,
    stop: int,
    found: dict[int, Any],
) -> int:
    """Walk elements from ``pos`` until ``end``, an item delimiter or a tag >= ``stop``; fill ``found``."""
    limit = len(buf)
    while end is None or pos < end:
        if pos + 8 > limit:
            if pos == limit and stop != 0xFFFFFFFF:  # top level, on an element boundary: the caller decides
                return pos
            raise Truncated
        if explicit:  # one unpack per element: tag, VR and short length (delimiters have no VR)
            group, elem, vr, length = _EXPLICIT.unpack_from(buf, pos)
        else:
            group, elem, length = _IMPLICIT.unpack_from(buf, pos)
            vr = None
        if group == 0xFFFE:
            if elem == 0xE00D:  # item delimitation
                return pos + 8
            raise Unusual
        tag = group << 16 | elem
        if tag >= stop:
            return pos
        if vr in _SHORT_VRS:  # the common case: 16-bit length, never undefined
            pos += 8
        else:
            if vr is None:  # implicit VR: 32-bit length already unpacked
                pos += 8
            elif vr in _LONG_VRS:
                if pos + 12 > limit:
                    raise Truncated
                length, pos = U32.unpack_from(buf, pos + 8)[0], pos + 12
            else:  # not a VR: e.g. implicit VR data under an explicit transfer syntax; pydicom copes
                raise Unusual
            if length == 0xFFFFFFFF:
                if explicit and vr not in (b"SQ", b"UN"):
                    raise Unusual
                meaning: list = []
                pos = _sequence(buf, pos, None, explicit and vr == b"SQ", meaning)
                if tag in want:
                    found[tag] = meaning[0] if meaning else None
                continue
        nxt = pos + length
        if tag in want:
            if nxt > limit:
                raise Truncated
            if tag in _SEQ_TAGS:
                meaning = []
                _sequence(buf, pos, nxt, explicit and vr != b"UN", meaning)
                found[tag] = meaning[0] if meaning else None
            else:
                found[tag] = buf[pos:nxt]
        pos = nxt
    return pos


def _sequence(buf: bytes, pos: int, end: int | None, explicit: bool, meaning: list) -> int:
    """Walk a sequence's items; append the CodeMeaning (raw bytes) of the first item that has one."""
    limit = len(buf)
    while end is None or pos < end:
        if pos + 8 > limit:
            raise Truncated
        group, elem = TAG.unpack_from(buf, pos)
        length = U32.unpack_from(buf, pos + 4)[0]
        pos += 8
        tag = group << 16 | elem
        if tag == 0xFFFEE0DD:  # sequence delimitation
            return pos
        if tag != 0xFFFEE000:
            raise Unusual
        found: dict[int, Any] = {}
        if length == 0xFFFFFFFF:
            pos = _dataset(buf, pos, None, explicit, {_CODE_MEANING}, 0xFFFFFFFF, found)
        else:
            _dataset(buf, pos, pos + length, explicit, {_CODE_MEANING}, 0xFFFFFFFF, found)
            pos += length
        if not meaning and found.get(_CODE_MEANING) is not None:
            meaning.append(found[_CODE_MEANING])
    return pos


def parse_head(buf: bytes, stop: int) -> tuple[str, dict[int, Any], int, bool]:
    """Parse a preamble + file meta + dataset head: ``(transfer syntax, raw values, position, explicit)``."""
    if len(buf) < 132 or buf[128:132] != b"DICM":
        raise Unusual
    meta: dict[int, Any] = {}
    pos = _dataset(buf, 132, None, True, {_TS}, 0x00030000, meta)
    ts = clean(meta.get(_TS, b"").decode("ascii", "replace")) or ""
    if ts == IMPLICIT_LE:
        explicit = False
    elif ts == "1.2.840.10008.1.2.2" or ts.startswith("1.2.840.10008.1.2.1.99") or not ts:
        raise Unusual  # big endian, deflate, no transfer syntax: pydicom
    else:
        explicit = True
    found: dict[int, Any] = {}
    pos = _dataset(buf, pos, None, explicit, _WANT, stop, found)
    return ts, found, pos, explicit


_WANT = set(TAGS) | {_CHARSET}


def raw_values(ts: str, found: dict[int, Any]) -> dict[str, Any] | None:
    """Convert the fast parser's raw values; ``None`` when a character set needs pydicom."""
    charset = clean(found.get(_CHARSET, b"").decode("ascii", "replace")) or ""
    codec = _CODECS.get(charset.split("\\")[0].strip())
    values: dict[str, Any] = dict.fromkeys(_KEYS_OF_TAGS)
    values["TransferSyntaxUID"] = ts
    for tag, raw in found.items():
        if tag not in TAGS:
            continue
        key, kind = TAGS[tag]
        if raw is None:
            continue
        if kind == "int":
            values[key] = U16.unpack_from(raw)[0] if len(raw) >= 2 else None
            continue
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            if codec is None:
                return None  # a character set only pydicom decodes
            text = raw.decode(codec, "replace")
        text = text.strip(" \x00")
        values[key] = (text or None) if kind in ("str", "code") else convert(kind, text)
    return values
