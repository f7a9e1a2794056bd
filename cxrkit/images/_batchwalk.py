"""The element walk of :mod:`cxrkit.images._dicomhead`, for many heads at once in numpy.

Every head sits in one buffer (a row of :data:`STRIDE` bytes each); each step reads the element at every
file's current offset (tag, VR, length), records the spans of the wanted values and moves all offsets on
together, so the Python cost is per step (about 75 for a MIMIC-CXR header) rather than per element and file.
It follows the per-file walker's rules exactly for explicit VR little endian heads and the code sequences,
and gives up on a file (status :data:`FALLBACK`) wherever that walker would do anything else (read more,
raise, go to pydicom, walk a nested sequence): the caller reads such files one by one, so answers stay
identical.
"""

from __future__ import annotations

import numpy as np

from . import _dicomhead as dh

#: Bytes of each file read at first (the per-file reader's first read, too). A buffer row is the head and 16
#: bytes of zeros, so a 12-byte element header read at any offset up to the head's size stays inside it.
HEAD = 1 << 13
#: Walk statuses: stopped at the stop tag, the whole (short) file walked, left to the per-file reader.
STOPPED, ENDED, FALLBACK = 1, 2, 3
#: The wanted tags, sorted: the header tags, SpecificCharacterSet and TransferSyntaxUID; slot ``len(WANTED)``
#: means none.
WANTED = tuple(sorted({*dh.TAGS, 0x00080005, 0x00020010}))
NONE = len(WANTED)

_CLASS = np.zeros(65536, np.int8)  # VR (little-endian u16) -> 0 not a VR, 1 short, 2 long, 3 SQ, 4 UN
_SHORT = "AE AS AT CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US".split(" ")  # noqa: SIM905
_LONG = "OB OD OF OL OV OW UC UR UT UV SV".split(" ")  # noqa: SIM905
for _names, _cls in ((_SHORT, 1), (_LONG, 2), (["SQ"], 3), (["UN"], 4)):
    for _vr in _names:
        _CLASS[ord(_vr[0]) | ord(_vr[1]) << 8] = _cls
_HDR = np.array([8, 8, 12, 12, 12], np.int64)
_KEYS = np.array([t for t in WANTED] + [0xFFFFFFFF], np.uint32)
_CODE = np.array([dh.TAGS.get(t, ("", ""))[1] == "code" for t in WANTED] + [False])
_CM, _ITEM, _ITEM_END, _SEQ_END = 0x00080104, 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_TS, _META_END = 0x00020010, 0x00030000
_INF = 1 << 62
_UNDEFINED = 0xFFFFFFFF


def walk(
    buf: np.ndarray,
    got: np.ndarray,
    head: int = HEAD,
    stop: int = dh.PIXEL_DATA,
    max_steps: int = 4096,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Walk the heads in ``buf`` (rows of ``head + 16`` bytes; row ``i`` holds the first ``got[i]`` bytes of
    a file, all of it when under ``head``) from the file meta to tag ``stop``.

    Returns
    -------
    status, start, length, stop_pos
        Per file: :data:`STOPPED`, :data:`ENDED` or :data:`FALLBACK`; per file and wanted slot the offset
        (in the row; -1 when absent) and length of the value (for a code sequence: of its CodeMeaning); the
        offset of the stop tag's element (-1 when not reached).
    """
    n = got.size
    base = np.arange(n, dtype=np.int64) * (head + 16)
    start = np.full((n, NONE + 1), -1, np.int64)
    length = np.zeros((n, NONE + 1), np.int64)
    cm_item = np.full((n, NONE + 1), -1, np.int64)  # the item whose CodeMeaning a code slot holds
    status = np.zeros(n, np.int8)
    stop_pos = np.full(n, -1, np.int64)
    magic = np.frombuffer(b"DICM", np.uint8)
    ok = (got >= 132) & (buf[(base + 128)[:, None] + np.arange(4)] == magic).all(axis=1)
    status[~ok] = FALLBACK
    act = np.flatnonzero(ok)
    pos = np.full(act.size, 132, np.int64)
    bs, nn = base[act], got[act]
    depth = np.zeros(act.size, np.int8)  # 0 top level, 1 in a sequence (between items), 2 in an item
    seq_slot = np.full(act.size, NONE, np.int64)
    seq_end = np.full(act.size, _INF, np.int64)
    item_end = np.full(act.size, _INF, np.int64)
    item_no = np.zeros(act.size, np.int64)
    in_meta = np.ones(act.size, bool)  # TransferSyntaxUID counts only in the file meta (as per file)
    ar = np.arange(12)
    steps = 0
    while act.size and steps < max_steps:
        steps += 1
        # an item or sequence of defined length ends where its length says (checked before reading on)
        d2 = (depth == 2) & (pos >= item_end)
        if d2.any():
            pos[d2], depth[d2], item_end[d2] = item_end[d2], 1, _INF
        d1 = (depth == 1) & (pos >= seq_end)
        if d1.any():
            pos[d1], depth[d1], seq_end[d1], seq_slot[d1] = seq_end[d1], 0, _INF, NONE
        b = buf[(bs + np.minimum(pos, head))[:, None] + ar]
        v16, v32 = b.view("<u2"), b.view("<u4")
        group = v16[:, 0]
        tag = group.astype(np.uint32) << 16 | v16[:, 1]
        cls = _CLASS[v16[:, 2]]
        ln = np.where(cls == 1, v16[:, 3], v32[:, 2]).astype(np.int64)
        hdr = _HDR[cls]
        end = pos + hdr + ln
        slot = np.searchsorted(_KEYS, tag)
        wanted = _KEYS[slot] == tag
        delim = group == 0xFFFE
        short8 = pos + 8 > nn
        undefined = (cls >= 2) & (v32[:, 2] == _UNDEFINED)
        header_cut = (cls >= 2) & (pos + 12 > nn)
        # top level
        top = depth == 0
        clean_end = top & short8 & (pos == nn) & (nn < head)
        t_live = top & ~short8 & ~delim
        fin = t_live & (tag >= stop)
        t_el = t_live & ~fin
        code = wanted & _CODE[slot]
        enter = t_el & (cls == 3) & (undefined | code)
        bad = top & ((short8 & ~clean_end) | (~short8 & delim))
        bad |= t_el & ((cls == 0) | header_cut | (undefined & (cls != 3)) | (code & (cls != 3)))
        bad |= t_el & wanted & ((~code & (cls == 3)) | (~undefined & (end > nn)))
        # in a sequence: an item or the sequence's end
        in_seq = depth == 1
        is_item = in_seq & ~short8 & (tag == _ITEM)
        s_end = in_seq & ~short8 & (tag == _SEQ_END)
        bad |= in_seq & ~is_item & ~s_end
        # in an item: elements (only CodeMeaning wanted) or the item's end
        in_item = depth == 2
        i_end = in_item & ~short8 & (tag == _ITEM_END)
        i_el = in_item & ~short8 & ~delim
        bad |= in_item & ~i_end & ~i_el
        bad |= i_el & ((cls == 0) | header_cut | undefined)
        is_cm = i_el & (tag == _CM)
        bad |= is_cm & ((cls == 3) | (end > nn))
        enter &= ~bad
        # a code sequence seen twice: the per-file walker keeps the second; leave such a file to it
        e = np.flatnonzero(enter & code)
        if e.size:
            twice = cm_item[act[e], slot[e]] != -1
            bad[e[twice]] = True
            enter[e[twice]] = False
        in_meta &= ~(t_el & (tag >= _META_END))
        rec = np.flatnonzero(t_el & wanted & ~code & ~bad & (in_meta == (tag == _TS)))
        if rec.size:
            start[act[rec], slot[rec]] = pos[rec] + hdr[rec]
            length[act[rec], slot[rec]] = ln[rec]
        r = np.flatnonzero(is_cm & ~bad & (seq_slot < NONE))
        if r.size:  # the first item with a CodeMeaning; within it, the last one (as the per-file dict keeps)
            rr, ss = act[r], seq_slot[r]
            take = (cm_item[rr, ss] < 0) | (cm_item[rr, ss] == item_no[r])
            rr, ss, r = rr[take], ss[take], r[take]
            start[rr, ss] = pos[r] + hdr[r]
            length[rr, ss] = ln[r]
            cm_item[rr, ss] = item_no[r]
        nxt = end
        e = np.flatnonzero(enter)
        if e.size:
            seq_slot[e] = np.where(code[e], slot[e], NONE)
            seq_end[e] = np.where(undefined[e], _INF, pos[e] + 12 + ln[e])
            depth[e] = 1
            nxt[e] = pos[e] + 12
            cm_item[act[e[code[e]]], slot[e[code[e]]]] = -2  # seen (no CodeMeaning yet)
        e = np.flatnonzero(is_item)
        if e.size:
            item_len = v32[e, 1].astype(np.int64)
            item_no[e] += 1
            depth[e] = 2
            nxt[e] = pos[e] + 8
            item_end[e] = np.where(item_len == _UNDEFINED, _INF, pos[e] + 8 + item_len)
        e = np.flatnonzero(s_end)
        if e.size:
            nxt[e] = np.where(seq_end[e] < _INF, seq_end[e], pos[e] + 8)
            depth[e], seq_end[e], seq_slot[e] = 0, _INF, NONE
        e = np.flatnonzero(i_end)
        if e.size:
            nxt[e] = np.where(item_end[e] < _INF, item_end[e], pos[e] + 8)
            depth[e], item_end[e] = 1, _INF
        gone = bad | fin | clean_end
        if gone.any():
            status[act[fin]] = STOPPED
            stop_pos[act[fin]] = pos[fin]
            status[act[clean_end]] = ENDED
            status[act[bad]] = FALLBACK
            keep = ~gone
            act, pos, bs, nn = act[keep], nxt[keep], bs[keep], nn[keep]
            depth, seq_slot, seq_end = depth[keep], seq_slot[keep], seq_end[keep]
            item_end, item_no, in_meta = item_end[keep], item_no[keep], in_meta[keep]
        else:
            pos = nxt
    status[act] = FALLBACK
    return status, start, length, stop_pos
