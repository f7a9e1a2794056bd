"""``StudyBrowser``: filters, the matching studies, a study's images, header, report, labels and timeline.

The browser holds no data logic: the list and filters come from :class:`~cxrkit.widgets._index.StudyIndex`
(polars frames of the dataset), a study from :meth:`cxrkit.Dataset.study`, pixels from the display pipeline
in :mod:`cxrkit.widgets._pixels` and thumbnails from the cache. Per selection the large image is decoded once
(kept in a small in-memory cache); windows, invert and zoom re-render from that. Selecting the study already
shown again reuses what it can: the decoded image, its rendered PNGs (kept by the viewer), the thumbnail and
timeline widgets.
"""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as w

from .. import images, layout
from ..dataset import Dataset, Image, Study
from ..errors import CxrkitError
from ..tables import LABEL_COLUMNS
from . import _html, _pixels
from ._index import LABEL_VALUES, StudyIndex
from ._viewer import ImageViewer, TransientImage


def _replace_children(box: w.Box, children: list[w.Widget]) -> None:
    """Put ``children`` in ``box`` and close the widgets they replace (their comms and kernel-side state)."""
    old = box.children
    box.children = children
    for child in old:
        _close_tree(child)


def _close_tree(widget: w.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, w.Widget):
            part.close()
    widget.close()


class StudyBrowser(w.VBox):
    """Browse a dataset study by study: filters, list, images with windows and zoom, header, report, labels.

    Keyboard: click the small ``j / k`` box under the list, then type ``j`` for the next study and ``k`` for
    the previous one (JupyterLab keeps these keys for moving between cells everywhere but in text boxes).

    Parameters
    ----------
    dataset
        An opened :class:`~cxrkit.Dataset` (default: :func:`cxrkit.open_dataset`, i.e. the demo or
        ``$CXRKIT_ROOT``).
    study_id
        The study shown first (default: the first one listed).
    max_size
        Largest side of the large image sent to the browser, in pixels.
    thumb_size
        Side of the thumbnails, in pixels.

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

    page_size = 200  # list entries sent to the browser at a time

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        study_id: object = None,
        max_size: int = 1024,
        thumb_size: int = 160,
    ) -> None:
        if dataset is None:
            from ..dataset import open_dataset

            dataset = open_dataset()
        self.dataset = dataset
        self.index = StudyIndex(dataset)
        self.thumb_size = thumb_size
        self._study: Study | None = None
        self._dicom_id: str | None = None
        self._matches = self.index.studies.clear()
        self._positions: dict[int, int] = {}
        self._page: int | None = None
        self._quiet = False
        self._decoded: OrderedDict[str, _pixels.DisplayArray] = OrderedDict()
        self._timeline_subject: int | None = None
        self._thumbnails_key: tuple | None = None
        self._build_filters()
        self.count = w.HTML()
        self.study_list = w.Select(options=[], rows=16, layout=w.Layout(width="100%"))
        self.study_list.add_class("cxrkit-study-list")
        self.prev_button = w.Button(description="previous", icon="arrow-up", layout=w.Layout(width="40%"))
        self.next_button = w.Button(description="next", icon="arrow-down", layout=w.Layout(width="40%"))
        self.key_box = w.Text(
            placeholder="j / k",
            continuous_update=True,
            layout=w.Layout(width="18%"),
            tooltip="keyboard: click here, then type j for the next study, k for the previous",
        )
        self.key_box.add_class("cxrkit-keys")
        self.next_button.add_class("cxrkit-next")
        self.prev_button.add_class("cxrkit-prev")
        self.title = w.HTML()
        self.timeline = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.thumbnails = w.HBox(layout=w.Layout(flex_flow="row wrap", flex="0 0 auto"))
        self.viewer = ImageViewer(max_size=max_size)
        self.viewer.layout = w.Layout(flex="1 1 60%", min_width="0")
        self.header_table = w.HTML()
        self.header = w.Accordion([self.header_table], selected_index=None)
        self.header.set_title(0, "DICOM header")
        self.chips = w.HTML()
        self.report = w.HTML()
        self.report.add_class("cxrkit-report")
        super().__init__(self._arrange())
        self.add_class("cxrkit-browser")
        self.study_list.observe(self._on_list, "value")
        self.prev_button.on_click(lambda _: self.step(-1))
        self.next_button.on_click(lambda _: self.step(1))
        self.key_box.observe(self._on_keys, "value")
        self.apply_filters(select_first=study_id is None)
        if study_id is not None:
            self.select(study_id)

    def _arrange(self) -> list[w.Widget]:
        """The layout: filters on top; the list on the left; on the right the study's title, timeline,
        thumbnails beside the label chips, the large image beside the report, and the header."""
        self.report.layout = w.Layout(flex="1 1 40%", min_width="0", margin="0 0 0 8px")
        self.chips.layout = w.Layout(flex="1 1 300px", margin="0 0 0 8px")
        top = w.Layout(align_items="flex-start")
        left = w.VBox(
            [self.count, self.study_list, w.HBox([self.prev_button, self.next_button, self.key_box])],
            layout=w.Layout(width="330px", flex="0 0 330px"),
        )
        right = w.VBox(
            [
                self.title,
                self.timeline,
                w.HBox([self.thumbnails, self.chips], layout=top),
                w.HBox([self.viewer, self.report], layout=top),
                self.header,
            ],
            layout=w.Layout(flex="1 1 auto", min_width="0"),
        )
        return [self.filters, w.HBox([left, right], layout=w.Layout(width="100%"))]

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
    def matches(self) -> list[int]:
        """Study ids matching the current filters, in list order."""
        return self._matches["study_id"].to_list()

    # --- filters and list --------------------------------------------------------------------------

    def _build_filters(self) -> None:
        ix = self.index
        small = {"layout": w.Layout(width="auto")}
        self.patient = w.Combobox(
            placeholder="patient id (typed or picked)",
            ensure_option=False,
            options=[str(s) for s in ix.subjects[:5000]],
            continuous_update=False,
            layout=w.Layout(width="210px"),
        )
        self.view = w.Dropdown(options=[("any view", "")] + [(v, v) for v in ix.views], **small)
        self.split = w.Dropdown(
            options=[("any split", "")] + [(s, s) for s in ix.splits], disabled=not ix.splits, **small
        )
        self.label_source = w.Dropdown(
            options=list(ix.labels) or ["no labels"], disabled=not ix.labels, **small
        )
        self.label_category = w.Dropdown(options=LABEL_COLUMNS, disabled=not ix.labels, **small)
        self.label_value = w.Dropdown(
            options=[("any label", "")] + [(k, k) for k in LABEL_VALUES], disabled=not ix.labels, **small
        )
        self.text = w.Text(
            placeholder="text in report" if ix.has_reports else "no reports in this copy",
            disabled=not ix.has_reports,
            continuous_update=False,
            layout=w.Layout(width="200px"),
        )
        self.clear_button = w.Button(description="clear filters", layout=w.Layout(width="auto"))
        self.clear_button.on_click(lambda _: self.clear_filters())
        for control in (
            self.patient,
            self.view,
            self.split,
            self.label_source,
            self.label_category,
            self.label_value,
            self.text,
        ):
            control.observe(self._on_filter, "value")
        self.filters = w.VBox(
            [
                w.HBox([self.patient, self.view, self.split, self.text, self.clear_button]),
                w.HBox([w.Label("label"), self.label_source, self.label_category, self.label_value]),
            ]
        )

    def clear_filters(self) -> None:
        """Reset every filter (one list refresh)."""
        self._quiet = True
        try:
            self.patient.value = self.text.value = ""
            self.view.value = self.split.value = self.label_value.value = ""
        finally:
            self._quiet = False
        self.apply_filters()

    def _on_filter(self, change: dict) -> None:
        if not self._quiet:
            self.apply_filters()

    def apply_filters(self, *, select_first: bool = True) -> None:
        """Recompute the list from the filter widgets; keep the current study if it still matches, else show
        the first match (when ``select_first``)."""
        label = None
        if self.label_value.value and self.index.labels:
            label = (self.label_source.value, self.label_category.value, LABEL_VALUES[self.label_value.value])
        try:
            self._matches = self.index.filter(
                subject=self.patient.value.strip() or None,
                view=self.view.value or None,
                split=self.split.value or None,
                label=label,
                text=self.text.value.strip() or None,
            )
            problem = None
        except CxrkitError as exc:  # e.g. a mistyped patient id
            self._matches, problem = self.index.studies.clear(), str(exc)
        self._positions = {sid: i for i, sid in enumerate(self._matches["study_id"])}
        self._page = None
        current = self.current_study_id
        if current in self._positions or not select_first or not self._matches.height:
            self._sync_list()
            if self._study is not None:
                self._show_report()
        else:
            self.select(self._matches["study_id"][0])
        if problem:
            self.count.value = _html.message_html(problem, kind="error")

    def _sync_list(self) -> None:
        """Show the page of the list holding the current study, mark it, set the count and the buttons."""
        n = self._matches.height
        pos = self._positions.get(self.current_study_id) if self._study else None
        page = (pos or 0) // self.page_size
        self._quiet = True
        try:
            if page != self._page:
                rows = self._matches.slice(page * self.page_size, self.page_size)
                self.study_list.options = [
                    (_html.list_label(r), r["study_id"]) for r in rows.iter_rows(named=True)
                ]
                self._page = page
            self.study_list.value = self.current_study_id if pos is not None else None
        finally:
            self._quiet = False
        total = f"{n} stud{'y' if n == 1 else 'ies'} match"
        if n > self.page_size:
            start = page * self.page_size
            total += f" (showing {start + 1}-{min(n, start + self.page_size)})"
        self.count.value = _html.message_html(total if n else "no studies match these filters")
        self.prev_button.disabled = not n or pos == 0
        self.next_button.disabled = not n or pos == n - 1

    def _on_list(self, change: dict) -> None:
        if not self._quiet and change["new"] is not None:
            self.select(change["new"])

    def step(self, delta: int) -> None:
        """Show the study ``delta`` places down (+) or up (-) the list (the first one when off the list)."""
        n = self._matches.height
        if not n:
            return
        pos = self._positions.get(self.current_study_id)
        target = 0 if pos is None else min(max(pos + delta, 0), n - 1)
        if target != pos:
            self.select(self._matches["study_id"][target])

    def _on_keys(self, change: dict) -> None:
        """Keyboard navigation through the small key box: each ``j`` typed is one study down, ``k`` one up.

        JupyterLab keeps plain keys on other elements for its own shortcuts (j/k and the arrows move between
        cells), but leaves a focused text input alone. The page is the only writer of the box (the kernel
        never clears it, so fast typing cannot race a reset): only characters added at its end count.
        """
        old, new = change["old"] or "", change["new"] or ""
        if not new.startswith(old):  # an edit or a clear, not typing
            return
        added = new[len(old) :].lower()
        delta = added.count("j") - added.count("k")
        if delta:
            self.step(delta)

    # --- one study ---------------------------------------------------------------------------------

    def select(self, study_id: object) -> None:
        """Show a study: list position, timeline, thumbnails, the first frontal image, header, report, labels.

        Raises :class:`~cxrkit.errors.StudyNotFoundError` when the copy does not list the study.
        """
        study = self.dataset.study(layout.study_id(study_id))
        self._study = study
        self._sync_list()
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
        self.title.value = (
            f"<b>patient p{study.subject_id} &middot; study s{study.study_id}</b> &middot; {when}"
            f" &middot; {n} image{'s' if n != 1 else ''}{missing}"
        )
        self._show_timeline()
        first = next((im for im in study.images if im.exists), None)
        self.show_image(first.dicom_id if first else None)
        self._show_thumbnails()
        self._show_report()
        self.chips.value = _html.chips_html(self.index.study_labels(study.study_id))

    def show_image(self, dicom_id: str | None) -> None:
        """Show one of the current study's images large (None: say that none is available)."""
        study = self._study
        image = next((im for im in study.images if im.dicom_id == dicom_id), None) if study else None
        self._dicom_id = image.dicom_id if image is not None and image.exists else None
        if image is None:
            listed = bool(study and study.images)
            self.viewer.clear("none of this study's images is in this copy" if listed else "no images listed")
            self.header_table.value = ""
            self.header.set_title(0, "DICOM header")
        elif not image.exists:
            self.viewer.clear(image.problem or f"missing: {image.path.name} is not in this copy")
        else:
            try:
                data = self._decode(image)
            except CxrkitError as exc:
                self.viewer.clear(str(exc), kind="error")
                self.header_table.value = ""
            else:
                self.viewer.show(
                    data, caption=f"{image.view_position or 'view unknown'} \u00b7 {image.dicom_id}"
                )
                self.header_table.value = _html.table_html(data.header)
                self.header.set_title(
                    0, f"{'DICOM header' if data.header.get('SOPClassUID') else 'header'}: {image.dicom_id}"
                )
        self._mark_thumbnail()

    def _decode(self, image: Image) -> _pixels.DisplayArray:
        key = str(image.path)
        if key in self._decoded:
            self._decoded.move_to_end(key)
            return self._decoded[key]
        data = _pixels.load(image.path, max_size=self.viewer.max_size)
        self._decoded[key] = data
        while len(self._decoded) > 2:  # once zoomed, an entry holds full-resolution values: keep two
            self._decoded.popitem(last=False)
        return data

    def _show_thumbnails(self) -> None:
        # the same images as shown (the same study selected again): keep the widgets,
        # only mark the current one
        key = (self.thumb_size, tuple((im.dicom_id, str(im.path), im.exists) for im in self._study.images))
        if key == self._thumbnails_key and self.thumbnails.children:
            self._mark_thumbnail()
            return
        items = []
        complete = True
        for im in self._study.images:
            if not im.exists:
                pic = w.HTML(
                    _html.placeholder_html(
                        "missing",
                        f"{im.view_position or ''} {im.dicom_id[:8]}: not in this copy",
                        size=self.thumb_size,
                    )
                )
            else:
                try:
                    png = images.thumbnail(im.path, size=self.thumb_size, cache=self.dataset.cache)
                    pic = TransientImage(
                        value=png, format="png", layout=w.Layout(width=f"{self.thumb_size}px")
                    )
                    pic.add_class("cxrkit-thumbnail")
                except CxrkitError as exc:
                    pic = w.HTML(_html.placeholder_html("unreadable", str(exc)[-80:], size=self.thumb_size))
                    complete = False  # tried again on the next selection
            button = w.Button(
                description=im.view_position or "view ?",
                tooltip=im.dicom_id,
                disabled=not im.exists,
                layout=w.Layout(width=f"{self.thumb_size}px"),
            )
            button.on_click(lambda _, d=im.dicom_id: self.show_image(d))
            box = w.VBox([pic, button], layout=w.Layout(margin="0 6px 0 0", padding="2px"))
            box.dicom_id = im.dicom_id
            items.append(box)
        _replace_children(self.thumbnails, items)
        self._thumbnails_key = key if complete else None
        self._mark_thumbnail()

    def _mark_thumbnail(self) -> None:
        for box in self.thumbnails.children:
            current = getattr(box, "dicom_id", None) == self._dicom_id
            box.layout.border = "2px solid #1976d2" if current else "2px solid transparent"
            box.children[1].button_style = "info" if current else ""

    def _show_timeline(self) -> None:
        study = self._study
        if self._timeline_subject != study.subject_id:
            rows = self.dataset.patient_studies(study.subject_id)
            buttons = []
            for r in rows.iter_rows(named=True):
                b = w.Button(
                    description=str(r["StudyDate"] or f"s{r['study_id']}"),
                    tooltip=f"s{r['study_id']} ({r['n_images']} images)",
                    layout=w.Layout(width="auto"),
                )
                b.on_click(lambda _, s=r["study_id"]: self.select(s))
                b.study_id = r["study_id"]
                buttons.append(b)
            _replace_children(self.timeline, [w.Label(f"p{study.subject_id}'s studies:"), *buttons])
            self._timeline_subject = study.subject_id
        for b in self.timeline.children[1:]:
            b.button_style = "info" if b.study_id == study.study_id else ""

    def _show_report(self) -> None:
        study = self._study
        text = self.index.study_report(study)
        if text is None:
            why = (
                "this copy has no reports (MIMIC-CXR-JPG ships none)"
                if not self.index.has_reports
                else f"report s{study.study_id}.txt is not in this copy"
            )
            self.report.value = _html.message_html(why)
        else:
            self.report.value = _html.report_html(text, highlight=self.text.value.strip() or None)
