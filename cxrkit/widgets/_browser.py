"""``StudyBrowser``: a worklist over the dataset with an image pane, priors side by side, report and labels.

The browser holds no data logic: the list and filters come from :class:`~cxrkit.widgets._index.StudyIndex`,
a study from :meth:`cxrkit.Dataset.study`, pixels from :mod:`cxrkit.widgets._pixels`, thumbnails from the
cache. The page (``static/browser.js`` with the image pane of ``static/pane.js``) draws everything and does
window/level, zoom, pan and measurement itself; the kernel sends each image once.

What is shown - list rows, ids, report text, labels, header, pixels - goes to the page only in custom
messages (:mod:`cxrkit.widgets._channel`), never in widget state, so a saved or ``nbconvert --execute``-d
notebook holds none of it.

Modes: ``single`` (one image large), ``compare`` (the study beside an earlier study of the same patient,
picked on the timeline, with both reports and the interval in days; window and zoom follow each other) and
``hang`` (the study's frontal and lateral side by side).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import OrderedDict

import traitlets

from .. import images, layout
from ..dataset import Dataset, Image, Study
from ..errors import CxrkitError
from ..tables import FRONTAL_VIEWS, LABEL_COLUMNS, LATERAL_VIEWS
from . import _html, _pixels
from ._channel import Channel, static_text
from ._index import LABEL_VALUES, StudyIndex
from ._viewer import tile_message

FRONTAL = FRONTAL_VIEWS
LATERAL = (*LATERAL_VIEWS, "LAO", "RAO", "LPO")  # the side views (XTABLE LATERAL included), then obliques
#: Filters and their defaults (label_* pick the labeller, the finding and the value).
FILTERS = ("patient", "view", "split", "label_source", "label_category", "label_value", "text")
MODES = ("single", "compare", "hang")


def _when(study: Study) -> dt.datetime | None:
    if study.study_date is None:
        return None
    return dt.datetime.combine(study.study_date, study.study_time or dt.time(0))


def interval_text(later: Study, earlier: Study) -> str:
    """How long before ``later`` ``earlier`` was taken, from StudyDate and StudyTime.

    Examples
    --------
    >>> a = Study(1, 2, (), None, dt.date(2150, 3, 1), dt.time(8, 0))
    >>> b = Study(1, 3, (), None, dt.date(2151, 4, 17), dt.time(20, 0))
    >>> interval_text(b, a), interval_text(a, b)
    ('412 days earlier', '412 days later')
    """
    t1, t0 = _when(later), _when(earlier)
    if t1 is None or t0 is None:
        return "interval unknown (no study date)"
    seconds = (t1 - t0).total_seconds()
    word = "earlier" if seconds >= 0 else "later"
    seconds = abs(seconds)
    if seconds < 86400:
        return f"{seconds / 3600:.1f} hours {word}" if later.study_time and earlier.study_time else "same day"
    return f"{round(seconds / 86400)} days {word}"


def _frontal(study: Study) -> Image | None:
    shown = [im for im in study.images if im.exists]
    return next((im for im in shown if im.view_position in FRONTAL), shown[0] if shown else None)


def _lateral(study: Study) -> Image | None:
    return next((im for im in study.images if im.exists and im.view_position in LATERAL), None)


class StudyBrowser(Channel):
    """Browse a dataset study by study: worklist, images, priors side by side, report, labels, header.

    Keys, while the browser has focus (click it first; JupyterLab never sees them): ``j``/``k`` or the
    arrows next/previous study, ``n``/``b`` next/previous image, ``c`` compare with a prior (``[``/``]``
    an earlier/later prior), ``h`` frontal and lateral side by side, ``1``-``4`` window presets, ``i``
    invert, ``r`` reset, ``m`` measure, ``?`` the legend.

    Parameters
    ----------
    dataset
        An opened :class:`~cxrkit.Dataset` (default: :func:`cxrkit.open_dataset`, i.e. the demo or
        ``$CXRKIT_ROOT``).
    study_id
        The study shown first (default: the first one listed).
    max_size
        Largest side of the images sent to the page, in pixels.
    thumb_size
        Side of the thumbnails, in pixels.
    height
        Height of the image panes (CSS).

    Examples
    --------
    >>> import cxrkit
    >>> from cxrkit.widgets import StudyBrowser
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> browser = StudyBrowser(ds)  # in a notebook, make it the cell's last expression to show it
    >>> study_id = browser.matches[1]
    >>> browser.select(study_id)
    >>> first_image = ds.study(study_id).images[0]
    >>> browser.current_study_id == study_id, browser.current_dicom_id == first_image.dicom_id
    (True, True)
    """

    _esm = static_text("pane.js", "browser.js")
    _css = static_text("pane.css", "browser.css")
    height = traitlets.Unicode("600px").tag(sync=True)
    page_size = 50  # list entries sent to the page at a time

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        study_id: object = None,
        max_size: int = 1024,
        thumb_size: int = 96,
        height: str = "600px",
    ) -> None:
        super().__init__(height=height)
        if dataset is None:
            from ..dataset import open_dataset

            dataset = open_dataset()
        self.dataset = dataset
        self.index = StudyIndex(dataset)
        self.max_size = max_size
        self.thumb_size = thumb_size
        self._study: Study | None = None
        self._prior: Study | None = None
        self._dicom_id: str | None = None
        self._mode = "single"
        self._matches = self.index.studies.clear()
        self._positions: dict[int, int] = {}
        self._page = 0
        self._problem: str | None = None
        self._patient: tuple | None = None
        self._pane_data: dict[str, _pixels.DisplayArray | None] = {"a": None, "b": None}
        #: The description of the last full-resolution tile sent (None before any).
        self.last_tile: dict | None = None
        self._decoded: OrderedDict[str, dict] = OrderedDict()
        self._seq = 0  # numbers the images sent, so the page pairs a picture with its values
        self._studies: OrderedDict[int, Study] = OrderedDict()
        self._thumbs: OrderedDict[str, str | None] = OrderedDict()
        self._filters = {name: "" for name in FILTERS}
        self._filters["label_source"] = next(iter(self.index.labels), "")
        self._filters["label_category"] = LABEL_COLUMNS[0]
        self.add_class("cxrkit-browser")
        self._post_filters()
        self.apply_filters(select_first=study_id is None)
        if study_id is not None:
            self.select(study_id)

    # --- read-only state ---------------------------------------------------------------------------

    @property
    def current_study_id(self) -> int | None:
        """The study shown, or None before any is."""
        return self._study.study_id if self._study else None

    @property
    def current_dicom_id(self) -> str | None:
        """The image shown large, or None (no study, or none of its images are in this copy)."""
        return self._dicom_id

    @property
    def prior_study_id(self) -> int | None:
        """The study compared with (compare mode), or None."""
        return self._prior.study_id if self._prior and self._mode == "compare" else None

    @property
    def mode(self) -> str:
        """``single``, ``compare`` or ``hang`` (see the module docstring)."""
        return self._mode

    @property
    def matches(self) -> list[int]:
        """Study ids matching the current filters, in list order (patient, then time)."""
        return self._matches["study_id"].to_list()

    @property
    def filters(self) -> dict[str, str]:
        """The filter values (a copy; change them with :meth:`set_filters`)."""
        return dict(self._filters)

    @property
    def page(self) -> int:
        """The page of the list shown (0-based, :attr:`page_size` entries a page)."""
        return self._page

    # --- filters and list --------------------------------------------------------------------------

    def _post_filters(self) -> None:
        ix = self.index
        self.post(
            "filters",
            {
                "views": ix.views,
                "splits": ix.splits,
                "sources": list(ix.labels),
                "categories": list(LABEL_COLUMNS),
                "values": list(LABEL_VALUES),
                "has_reports": ix.has_reports,
                "patients": [str(s) for s in ix.subjects[:5000]],
                "values_set": self._filters,
            },
        )

    def set_filters(self, **values: str) -> None:
        """Set some filters (names in :data:`FILTERS`; ``""`` clears one) and refresh the list once.

        ``patient`` takes ``10000032`` or ``p10000032``; ``label_value`` one of ``positive (1)``,
        ``negative (0)``, ``uncertain (-1)``, ``blank``; ``text`` words the report contains.
        """
        unknown = set(values) - set(FILTERS)
        if unknown:
            raise ValueError(f"unknown filter {sorted(unknown)}; choose from {', '.join(FILTERS)}")
        self._filters.update({k: "" if v is None else str(v) for k, v in values.items()})
        self.apply_filters()

    def clear_filters(self) -> None:
        """Reset every filter (one list refresh)."""
        for name in ("patient", "view", "split", "label_value", "text"):
            self._filters[name] = ""
        self._post_filters()
        self.apply_filters()

    def apply_filters(self, *, select_first: bool = True) -> None:
        """Recompute the list from the filters; keep the current study if it still matches, else show the
        first match (when ``select_first``)."""
        f = self._filters
        label = None
        if f["label_value"] and self.index.labels:
            if f["label_value"] not in LABEL_VALUES:
                raise ValueError(f"label_value must be one of {', '.join(LABEL_VALUES)}")
            label = (f["label_source"], f["label_category"], LABEL_VALUES[f["label_value"]])
        try:
            self._matches = self.index.filter(
                subject=f["patient"].strip() or None,
                view=f["view"] or None,
                split=f["split"] or None,
                label=label,
                text=f["text"].strip() or None,
            )
            self._problem = None
        except CxrkitError as exc:  # e.g. a mistyped patient id
            self._matches, self._problem = self.index.studies.clear(), str(exc)
        self._positions = {sid: i for i, sid in enumerate(self._matches["study_id"])}
        current = self.current_study_id
        if current in self._positions or not select_first or not self._matches.height:
            self._page = (self._positions.get(current) or 0) // self.page_size
            self._post_list()
            if self._study is not None:
                self._post_study()
        else:
            self.select(self._matches["study_id"][0])

    def show_page(self, page: int) -> None:
        """Show page ``page`` of the list (clamped)."""
        pages = max(1, -(-self._matches.height // self.page_size))
        self._page = min(max(int(page), 0), pages - 1)
        self._post_list()

    def _post_list(self) -> None:
        n = self._matches.height
        pages = max(1, -(-n // self.page_size))
        start = self._page * self.page_size
        rows = self._matches.slice(start, self.page_size)
        if self._problem:
            count = self._problem
        elif not n:
            count = "no studies match these filters"
        else:
            count = f"{n} stud{'y' if n == 1 else 'ies'} match"
            if n > self.page_size:
                count += f" (showing {start + 1}-{min(n, start + self.page_size)})"
        pos = self._positions.get(self.current_study_id) if self._study else None
        self.post(
            "list",
            {
                "count": count,
                "error": bool(self._problem),
                "rows": [[r["study_id"], _html.list_label(r)] for r in rows.iter_rows(named=True)],
                "page": self._page,
                "pages": pages,
                "current": self.current_study_id if pos is not None else None,
                "first": pos == 0,
                "last": pos == n - 1,
            },
        )

    def list_rows(self) -> list[str]:
        """The texts of the list entries on the page shown."""
        return [text for _, text in (self.shown("list") or {}).get("rows", [])]

    def step(self, delta: int) -> None:
        """Show the study ``delta`` places down (+) or up (-) the list (the first one when off the list)."""
        n = self._matches.height
        if not n:
            return
        pos = self._positions.get(self.current_study_id)
        target = 0 if pos is None else min(max(pos + int(delta), 0), n - 1)
        if target != pos:
            self.select(self._matches["study_id"][target])

    # --- one study ---------------------------------------------------------------------------------

    def select(self, study_id: object) -> None:
        """Show a study: list position, timeline, thumbnails, images, header, report, labels.

        In compare mode the prior becomes the latest study before it. Raises
        :class:`~cxrkit.errors.StudyNotFoundError` when the copy does not list the study.
        """
        study = self._lookup(study_id)
        self._study = study
        first = _frontal(study)
        self._dicom_id = first.dicom_id if first else None
        if self._mode == "compare":
            self._prior = self._default_prior()
        self._show_panes()  # the image first: it is what the reader waits for
        pos = self._positions.get(study.study_id)
        if pos is not None:
            self._page = pos // self.page_size
        self._post_list()
        self._post_study()

    def show_image(self, dicom_id: str | None) -> None:
        """Show one of the current study's images in the main pane (None: say that none is available)."""
        study = self._study
        image = next((im for im in study.images if im.dicom_id == dicom_id), None) if study else None
        self._dicom_id = image.dicom_id if image is not None and image.exists else None
        self._show_pane("a", image, self._missing_text(study, image))
        self._post_study()

    def next_image(self, delta: int = 1) -> None:
        """Show the next (or previous) image of the current study that is in this copy."""
        shown = [im for im in (self._study.images if self._study else ()) if im.exists]
        if len(shown) < 2:
            return
        ids = [im.dicom_id for im in shown]
        pos = ids.index(self._dicom_id) if self._dicom_id in ids else -1
        self.show_image(ids[(pos + int(delta)) % len(ids)])

    def set_mode(self, mode: str, *, prior: object = None) -> None:
        """Switch to ``single``, ``compare`` (with ``prior``; default: the latest before) or ``hang``."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        self._mode = mode
        if mode == "compare":
            self._prior = self._pick_prior(prior) if prior is not None else self._default_prior()
        if self._study is not None:
            self._show_panes()
            self._post_study()

    def compare(self, prior: object = None) -> None:
        """Compare the study with an earlier one of the same patient (default: the latest before it)."""
        self.set_mode("compare", prior=prior)

    def step_prior(self, delta: int) -> None:
        """In compare mode, move the prior ``delta`` studies later (+) or earlier (-) in time."""
        if self._mode != "compare" or self._study is None:
            return
        order = [s for s in self._timeline_ids() if s != self._study.study_id]
        if not order:
            return
        pos = order.index(self._prior.study_id) if self._prior and self._prior.study_id in order else 0
        self.set_mode("compare", prior=order[min(max(pos + int(delta), 0), len(order) - 1)])

    def _lookup(self, study_id: object) -> Study:
        """:meth:`cxrkit.Dataset.study`, with the last few kept (going back to a study skips the table
        lookup); a kept study whose files appeared or went since is looked up again."""
        sid = layout.study_id(study_id)
        kept = self._studies.get(sid)
        if kept is None or any(im.exists != im.path.is_file() for im in kept.images):
            kept = self.dataset.study(sid)
            self._studies[sid] = kept
            while len(self._studies) > 32:
                self._studies.popitem(last=False)
        self._studies.move_to_end(sid)
        return kept

    def _patient_studies(self, subject_id: int):
        """The patient's studies in time order (the last patient's kept: each selection draws a timeline)."""
        if self._patient is None or self._patient[0] != subject_id:
            self._patient = (subject_id, self.dataset.patient_studies(subject_id))
        return self._patient[1]

    def _timeline_ids(self) -> list[int]:
        return self._patient_studies(self._study.subject_id)["study_id"].to_list()

    def _pick_prior(self, study_id: object) -> Study:
        prior = self._lookup(study_id)
        if prior.subject_id != self._study.subject_id:
            raise ValueError(f"s{prior.study_id} is not a study of patient p{self._study.subject_id}")
        return prior

    def _default_prior(self) -> Study | None:
        order = self._timeline_ids()
        here = order.index(self._study.study_id)
        if here > 0:
            return self._lookup(order[here - 1])
        return self._lookup(order[1]) if len(order) > 1 else None

    # --- what is sent --------------------------------------------------------------------------------

    @staticmethod
    def _missing_text(study: Study | None, image: Image | None) -> str:
        if image is None:
            listed = bool(study and study.images)
            return "none of this study's images is in this copy" if listed else "no images listed"
        return image.problem or f"missing: {image.path.name} is not in this copy"

    def _show_panes(self) -> None:
        study = self._study
        main = next((im for im in study.images if im.dicom_id == self._dicom_id), None)
        self._show_pane("a", main, self._missing_text(study, main))
        if self._mode == "compare":
            if self._prior is None:
                self._show_pane("b", None, "this patient has no other study to compare with")
            else:
                image = _frontal(self._prior)
                self._show_pane("b", image, self._missing_text(self._prior, image), prior=True)
        elif self._mode == "hang":
            lateral = _lateral(study)
            if lateral is not None and lateral.dicom_id == self._dicom_id:
                lateral = _frontal(study)
            self._show_pane("b", lateral, "no lateral image of this study in this copy")
        else:
            self.drop("pane:b")
            self.drop("values:b")

    def _show_pane(self, slot: str, image: Image | None, why: str, *, prior: bool = False) -> None:
        """Send pane ``slot`` its image in two messages: ``pane:<slot>``, the 8-bit picture (all the first
        paint needs: a third of the bytes, and no presets or 16-bit values to compute before it leaves),
        then ``values:<slot>``, the presets and the 16-bit values the page windows with (``seq`` pairs
        them)."""
        self._pane_data[slot] = None
        self.drop(f"values:{slot}")
        if image is None or not image.exists:
            self.post(f"pane:{slot}", {"op": "clear", "text": why, "error": False})
            return
        key = str(image.path)
        try:
            kept = self._decoded.get(key) or self._decode(image)
        except CxrkitError as exc:
            self.post(f"pane:{slot}", {"op": "clear", "text": str(exc), "error": True})
            return
        self._decoded.move_to_end(key)
        data, meta, own = kept["data"], kept["meta"], kept["own"]
        self._pane_data[slot] = data
        self._seq += 1
        rows, cols = data.shape
        who = "prior " if prior else ""
        caption = f"{who}{image.view_position or 'view unknown'} \u00b7 {cols} x {rows} px"
        self.post(f"pane:{slot}", {"op": "image", **meta, "caption": caption, "seq": self._seq}, [own])
        if "q" not in kept:  # after the picture has left
            kept["extra"], kept["q"] = _pixels.values(data, meta, size=self.max_size)
        self.post(f"values:{slot}", {**kept["extra"], "seq": self._seq}, [kept["q"]])

    def _decode(self, image: Image) -> dict:
        data = _pixels.load(image.path, max_size=self.max_size)
        meta, own = _pixels.picture(data, size=self.max_size)
        kept = self._decoded[str(image.path)] = {"data": data, "meta": meta, "own": own}
        while len(self._decoded) > 4:  # the panes' images and the ones just before
            self._decoded.popitem(last=False)
        return kept

    def decoded(self, dicom_id: str) -> _pixels.DisplayArray | None:
        """The decoded image of ``dicom_id`` if it is among the last few shown (None otherwise)."""
        for kept in self._decoded.values():
            data = kept["data"]
            if data.source is not None and data.source.name.startswith(dicom_id):
                return data
        return None

    def _thumbnail(self, image: Image) -> str | None:
        key = f"{image.path}:{self.thumb_size}"
        if key not in self._thumbs:
            try:
                png = images.thumbnail(image.path, size=self.thumb_size, cache=self.dataset.cache)
            except CxrkitError:
                return None  # tried again next time
            self._thumbs[key] = "data:image/png;base64," + base64.b64encode(png).decode()
            while len(self._thumbs) > 64:
                self._thumbs.popitem(last=False)
        return self._thumbs[key]

    def _thumbs_for(self, study: Study) -> list[dict]:
        out = []
        for im in study.images:
            item = {"dicom_id": im.dicom_id, "view": im.view_position or "view ?", "src": None, "note": ""}
            if not im.exists:
                item["note"] = f"missing: {im.dicom_id[:8]} not in this copy"
            else:
                item["src"] = self._thumbnail(im)
                if item["src"] is None:
                    item["note"] = "unreadable"
            out.append(item)
        return out

    def _title_html(self, study: Study, *, prefix: str = "") -> str:
        when = (
            " ".join(
                filter(
                    None,
                    [
                        study.study_date and study.study_date.isoformat(),
                        study.study_time and study.study_time.strftime("%H:%M"),
                    ],
                )
            )
            or "date unknown"
        )
        n_missing = sum(not im.exists for im in study.images)
        missing = f", {n_missing} missing in this copy" if n_missing else ""
        n = len(study.images)
        return (
            f"{prefix}<b>patient p{study.subject_id} &middot; study s{study.study_id}</b> &middot; {when}"
            f" &middot; {n} image{'s' if n != 1 else ''}{missing}"
        )

    def _report_html(self, study: Study) -> str:
        text = self.index.study_report(study)
        if text is None:
            why = (
                "this copy has no reports (MIMIC-CXR-JPG ships none)"
                if not self.index.has_reports
                else f"report s{study.study_id}.txt is not in this copy"
            )
            return _html.message_html(why)
        return _html.report_html(text, highlight=self._filters["text"].strip() or None)

    def _timeline(self, study: Study) -> dict:
        rows = self._patient_studies(study.subject_id)
        items = []
        for r in rows.iter_rows(named=True):
            date, time = r["StudyDate"], r["StudyTime"]
            t = None
            if date is not None:
                t = date.toordinal() + (
                    (time.hour * 3600 + time.minute * 60 + time.second) / 86400 if time else 0.0
                )
            label = " ".join(filter(None, [date and date.isoformat(), time and time.strftime("%H:%M")]))
            items.append([r["study_id"], t, label or "date unknown", r["n_images"]])
        return {"subject": f"p{study.subject_id}", "items": items}

    def _post_study(self) -> None:
        study = self._study
        content = {
            "mode": self._mode,
            "title": self._title_html(study),
            "study_id": study.study_id,
            "dicom_id": self._dicom_id,
            "thumbs": self._thumbs_for(study),
            "report": self._report_html(study),
            "labels": _html.labels_html(self.index.study_labels(study.study_id)),
            "timeline": self._timeline(study),
            "prior": None,
            "header": "",
            "header_title": "DICOM header",
        }
        data = self.decoded(self._dicom_id) if self._dicom_id else None
        if data is not None:
            content["header"] = _html.table_html(data.header)
            kind = "DICOM header" if data.header.get("SOPClassUID") else "header"
            content["header_title"] = f"{kind}: {self._dicom_id}"
        if self._mode == "compare" and self._prior is not None:
            prior = self._prior
            interval = interval_text(study, prior)
            content["prior"] = {
                "study_id": prior.study_id,
                "title": self._title_html(prior, prefix="prior: "),
                "interval": interval,
                "report": self._report_html(prior),
            }
        self.post("study", content)

    def send_tile(self, slot: str, request: dict) -> None:
        """Answer pane ``slot``'s request for a full-resolution region (``tile_message`` of ``_viewer``)."""
        data, meta = self._pane_data.get(slot), self.shown(f"pane:{slot}")
        if data is None or meta is None or meta.get("op") != "image":
            return
        reply, buffers = tile_message(data, meta, request, size=self.max_size, slot=slot)
        self._transmit(reply, buffers)
        self.last_tile = reply

    # --- messages from the page ------------------------------------------------------------------------

    def handle(self, content: dict, buffers: list) -> None:
        kind = content.get("kind")
        try:
            if kind == "filter":
                self.set_filters(**{str(content["name"]): str(content.get("value") or "")})
            elif kind == "clear_filters":
                self.clear_filters()
            elif kind == "select":
                self.select(content["study_id"])
            elif kind == "timeline":
                if self._mode == "compare" and content["study_id"] != self.current_study_id:
                    self.compare(prior=content["study_id"])
                else:
                    self.select(content["study_id"])
            elif kind == "step":
                self.step(int(content["delta"]))
            elif kind == "page":
                self.show_page(int(content["page"]))
            elif kind == "image":
                self.show_image(content["dicom_id"])
            elif kind == "next_image":
                self.next_image(int(content.get("delta", 1)))
            elif kind == "mode":
                mode = content["mode"]
                self.set_mode("single" if mode == self._mode else mode)
            elif kind == "tile":
                self.send_tile(str(content.get("slot")), content)
            elif kind == "prior_step":
                self.step_prior(int(content["delta"]))
        except (CxrkitError, ValueError, KeyError) as exc:
            self.post("notice", {"text": str(exc)})
        finally:  # the page waits for this before sending the next step (key repeats add up meanwhile)
            self._transmit({"kind": "done", "request": kind})
