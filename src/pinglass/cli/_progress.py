"""Live progress for a batch: overall bar with ETA, cost so far, and the images in flight."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Self

from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from pinglass.cli._text import money
from pinglass.runner.events import (
    CostUpdated,
    Event,
    JobFinished,
    JobPolling,
    JobRetrying,
    JobStarted,
    RunStopping,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["LiveView", "ProgressView", "QuietView"]

_STATUS_STYLE = {"succeeded": "green", "reused": "cyan", "failed": "red", "not_run": "yellow"}


class LiveView:
    """What the run's and the studio's progress views share: the live region on stderr, and
    failures named once (the same failure again is counted and summed up when the view closes).
    """

    def __init__(self, console: Console, *, verbose: bool) -> None:
        self.console = console
        self.verbose = verbose
        self.repeats: dict[tuple[str, str], int] = {}
        """(kind, message) of a failure already shown -> how many more failed the same way."""

    def _start_live(self) -> None:
        """Called by a subclass once what :meth:`_render` draws exists."""
        self.live = Live(
            self._render(), console=self.console, refresh_per_second=8, transient=False
        )

    def _render(self) -> Group:
        raise NotImplementedError

    def _shown_before(self, kind: str, message: str) -> bool:
        """Whether this failure was already shown (then it is counted, unless ``verbose``)."""
        same = (kind, message)
        if same in self.repeats and not self.verbose:
            self.repeats[same] += 1
            return True
        self.repeats[same] = 0
        return False

    def __enter__(self) -> Self:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._render())
        self.live.__exit__(None, None, None)
        for (kind, _), more in self.repeats.items():
            if more:
                self.console.print(
                    f"[red]   failed[/] {more} more {'image' if more == 1 else 'images'} "
                    f"the same way ({escape(kind)})"
                )


class ProgressView(LiveView):
    """An :class:`~pinglass.runner.events.Observer` that draws the run with rich."""

    def __init__(
        self,
        console: Console,
        *,
        total: int,
        verbose: bool = False,
        names: dict[int, str] | None = None,
    ) -> None:
        """``total`` counts every planned image, reused ones included: a reused image counts
        as done on both sides of ``done/total``, and an image that was never run does not."""
        super().__init__(console, verbose=verbose)
        self.names = names or {}
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[cost]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )
        self.total = total
        self.task = self.progress.add_task("images", total=total, cost="$0.0000")
        self.active: dict[int, str] = {}
        # Costs are summed from finished images: a run may make several engine batches
        # (re-rolls), and each batch's CostUpdated counts only its own spend.
        self.spent = Decimal(0)
        self.reserved = Decimal(0)
        self._start_live()

    def __call__(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            self.active[event.index] = f"{event.provider}/{event.model} · sending"
        elif isinstance(event, JobPolling):
            self.active[event.index] = f"running remotely ({event.remote_id[:14]})"
        elif isinstance(event, JobRetrying):
            self.active[event.index] = (
                f"retry {event.attempt} in {event.wait_s:.1f}s ({event.kind})"
            )
            if self.verbose:
                name = escape(self.names.get(event.index, ""))
                self.console.print(
                    f"  [yellow]retrying[/] {event.index:02d} {name} (attempt {event.attempt},"
                    f" in {event.wait_s:.1f}s): {escape(event.message)}",
                    soft_wrap=True,
                )
        elif isinstance(event, JobFinished):
            self._finished(event)
        elif isinstance(event, CostUpdated):
            self.reserved = event.reserved
            self.progress.update(self.task, cost=_money(self.spent, self.reserved))
        elif isinstance(event, RunStopping):
            self.console.print(
                f"[yellow]stopping:[/] no new images; waiting for {event.in_flight} in flight "
                "(Ctrl-C again to cancel them)"
            )
        self.live.update(self._render())

    def _finished(self, event: JobFinished) -> None:
        r = event.result
        self.active.pop(r.index, None)
        if "~r" in r.prompt_id:  # a re-roll: an extra image beyond the plan
            self.total += 1
            self.progress.update(self.task, total=self.total)
        if r.status != "reused":  # a failed image may carry a cost (billed failures)
            self.spent += r.spent_usd
            self.progress.update(self.task, cost=_money(self.spent, self.reserved))
        if r.status != "not_run":  # stopped before it was sent: not done
            self.progress.advance(self.task)
        style = _STATUS_STYLE.get(r.status, "white")
        line = f"[{style}]{r.status:>9}[/] {r.index:02d} {escape(r.prompt_id)}"
        if r.status == "succeeded":
            line += f" [dim]{r.provider} {money(r.cost_usd)} {r.latency_s or 0:.1f}s[/]"
        if r.error is not None:
            # The same failure on many images (a provider down, no network) is named once;
            # the rest are counted and summed up in one line when the run ends.
            if self._shown_before(r.error.kind, r.error.message):
                return
            line += f" [red]{escape(r.error.kind)}[/]: {escape(r.error.message)}"
        if r.status != "reused" or self.verbose:
            self.console.print(line)

    def _render(self) -> Group:
        table = Table.grid(padding=(0, 2))
        for index in sorted(self.active)[:8]:
            table.add_row(f"[dim]{index:02d}[/]", escape(self.active[index]))
        return Group(self.progress, table)


def _money(spent: Decimal, reserved: Decimal) -> str:
    text = money(spent)
    if reserved > 0:
        text += f" (+{money(reserved)} in flight)"
    return text


class QuietView:
    """The observer for ``--quiet``: shows nothing (the summary line comes at the end)."""

    def __enter__(self) -> QuietView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, event: Event) -> None:
        return None
