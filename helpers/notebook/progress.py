"""Progress for steps that take more than a moment: starting servers, a multi-turn tool loop.

`Progress(total, "what")` displays a bar and a label (ipywidgets) and keeps a plain-text copy in
the same output, updated at each step, so papermill logs and HTML exports show how far it got.
Its `on_turn` method is a ready `run_tool_loop(..., on_turn=...)` callback.
"""

from __future__ import annotations

import html
import time
import uuid
from typing import Any

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class Progress:
    """A progress bar with a label; `step()` advances it, `done()` finishes it.

    Args:
        total: the expected number of steps (a loop's max_turns; servers to start).
        description: what is progressing, shown before the bar.
        display_now: display at once (False: call `display()` yourself).
    """

    def __init__(self, total: int, description: str = "", *, display_now: bool = True) -> None:
        self.total = max(1, int(total))
        self.description = description
        self.value = 0
        self.lines: list[str] = []
        self.finished = False
        self.started = time.monotonic()
        self._display_id = f"workbook-progress-{uuid.uuid4().hex}"
        self._handle: Any = None
        try:
            import ipywidgets as widgets

            self._bar = widgets.IntProgress(
                value=0,
                min=0,
                max=self.total,
                description=description[:20],
                bar_style="info",
                style={"description_width": "initial"},
            )
            self._label = widgets.HTML("starting …")
            self.widget: Any = widgets.HBox([self._bar, self._label])
            self.widget.add_class("workbook-progress")
        except ImportError:  # text only
            self._bar = self._label = self.widget = None
        if display_now:
            self.display()

    # --- text and bundles ------------------------------------------------------------------
    @property
    def text(self) -> str:
        state = "done" if self.finished else "running"
        head = f"{self.description}: {self.value}/{self.total} ({state}, {time.monotonic() - self.started:.1f} s)"
        return "\n".join([head, *(f"  - {line}" for line in self.lines)])

    def _bundle(self) -> dict[str, Any]:
        bundle: dict[str, Any] = {
            "text/plain": self.text,
            "text/html": f"<pre class='workbook-progress-text'>{html.escape(self.text)}</pre>",
        }
        if self.widget is not None:
            view = (self.widget._repr_mimebundle_() or {}).get(WIDGET_MIME)
            if view:
                bundle[WIDGET_MIME] = view
        return bundle

    def display(self) -> None:
        """Show the bar (once); later steps update the same output."""
        from IPython.display import display

        self._handle = display(self._bundle(), raw=True, display_id=self._display_id)

    def _refresh(self) -> None:
        if self._bar is not None:
            self._bar.value = min(self.value, self.total)
            self._label.value = html.escape(self.lines[-1] if self.lines else "")
        if self._handle is not None:
            self._handle.update(self._bundle(), raw=True)

    # --- steps -----------------------------------------------------------------------------
    def step(self, text: str = "", n: int = 1) -> None:
        """Advance by `n` steps and say what just happened."""
        self.value += n
        if self.value > self.total:  # more steps than expected: grow, never overflow
            self.total = self.value
            if self._bar is not None:
                self._bar.max = self.total
        if text:
            self.lines.append(text)
        self._refresh()

    def done(self, text: str = "") -> None:
        """Mark the work finished (the bar turns green, or red when `text` starts with 'failed')."""
        self.finished = True
        if text:
            self.lines.append(text)
        if self._bar is not None:
            self._bar.max = max(self.value, 1)
            self._bar.bar_style = "danger" if text.lower().startswith("failed") else "success"
        self.value = max(self.value, 1)
        self._refresh()

    def on_turn(self, turn: Any) -> None:
        """A `run_tool_loop` callback: one step per model turn, naming the tools it called."""
        calls = ", ".join(run.name for run in turn.tool_runs) or "answered"
        self.step(f"turn {turn.number}: {calls} ({turn.seconds:.2f} s)")
        if not turn.tool_runs:
            self.done(f"answer after {turn.number} turns")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if not self.finished:
            self.done(f"failed: {type(error).__name__}: {error}" if error else "")


__all__ = ["Progress"]
