"""The widgets' base: what they show travels in transient messages, never in saved widget state.

A Jupyter widget's synced traits are its *state*: JupyterLab ("Save Widget State Automatically"),
``nbconvert --execute`` / nbclient (``store_widget_state``, on by default) and ``ipywidgets.embed`` write
that state into the notebook file. Custom messages are different: nbclient records only messages carrying
``state`` (it skips custom ones), JupyterLab saves the models' state, not the page, and the embed functions
read traits. So a :class:`Channel` keeps everything it shows (report text, ids, list rows, pixels) on the
kernel side and sends it to each open view as custom messages with binary buffers; its synced traits are
its JavaScript and CSS only. A view that opens later (a second display, a reloaded page with the kernel
still running) asks with a ``ready`` message and gets the current content again. A saved notebook
reopened without a kernel shows an empty frame, which is the point.

Examples
--------
>>> ch = Channel()
>>> ch.post("note", {"text": "p10000032"})
>>> ch.shown("note")["text"], "p10000032" in str(ch.get_state())
('p10000032', False)
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import anywidget

#: The JavaScript and CSS of the widgets (kept as files so they can be read and linted as such).
STATIC = Path(__file__).with_name("static")


def static_text(*names: str) -> str:
    """The named files of :data:`STATIC` joined into one text (ES module or style sheet)."""
    return "\n".join((STATIC / name).read_text(encoding="utf-8") for name in names)


class Channel(anywidget.AnyWidget):
    """An anywidget whose content goes to the page only in custom messages (see the module docstring)."""

    _esm = "export default { render({ model }) { model.send({ kind: 'ready' }); } };"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._content: OrderedDict[str, tuple[dict, list[bytes]]] = OrderedDict()
        self.on_msg(self._on_message)

    def post(self, kind: str, content: dict, buffers: list[bytes] | None = None) -> None:
        """Show ``content`` under ``kind`` in every open view, and keep it for views that open later."""
        msg = {"kind": kind, **content}
        self._content.pop(kind, None)
        self._content[kind] = (msg, list(buffers or []))
        self._transmit(msg, buffers)

    def drop(self, kind: str) -> None:
        """Forget the content kept under ``kind`` (later views will not get it)."""
        self._content.pop(kind, None)

    def shown(self, kind: str) -> dict | None:
        """The content last posted under ``kind`` (what the page shows), or None."""
        kept = self._content.get(kind)
        return kept[0] if kept else None

    def shown_kinds(self) -> list[str]:
        """The kinds of content kept, in the order a view that opens now gets them."""
        return list(self._content)

    def shown_buffers(self, kind: str) -> list[bytes]:
        """The binary buffers last posted under ``kind`` (``[]`` when none)."""
        kept = self._content.get(kind)
        return kept[1] if kept else []

    def _transmit(self, msg: dict, buffers: list[bytes] | None = None) -> None:
        if self.comm is not None:
            self.send(msg, buffers or None)

    def _on_message(self, _widget: Any, content: dict, buffers: list) -> None:
        if not isinstance(content, dict):
            return
        if content.get("kind") == "ready":  # a view opened: give it everything shown so far, in order
            for msg, bufs in list(self._content.values()):
                self._transmit(msg, bufs)
            return
        self.handle(content, buffers)

    def handle(self, content: dict, buffers: list) -> None:
        """React to a message from the page (subclasses)."""
