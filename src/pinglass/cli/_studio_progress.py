"""Live progress of a studio run: one overall bar, then one bar per person (rich, stderr)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Group
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pinglass.cli._progress import LiveView
from pinglass.cli._text import money
from pinglass.runner.events import CostUpdated, Event, JobFinished, JobStarted, RunStopping

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["QuietStudioView", "StudioProgressView"]

_NAME_WIDTH = 14
_ALL = "all people"


class StudioProgressView(LiveView):
    """A :data:`~pinglass.studio.run.StudioObserver` drawing ``all`` plus a row per person.

    Each row: name, bar, done/total, what that person has cost so far; the overall row adds
    what is reserved in flight, the elapsed time and the ETA. Failures print one line each
    (the same failure again is counted, not repeated); successes do not, since a studio run
    has hundreds of them.
    """

    def __init__(self, console: Console, *, people: dict[str, int], verbose: bool = False) -> None:
        """``people`` maps each running person to their planned images (reused included)."""
        super().__init__(console, verbose=verbose)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TextColumn("{task.fields[cost]}"),
            console=console,
            expand=True,
        )
        self.elapsed = Progress(
            TextColumn("[dim]elapsed[/]"),
            TimeElapsedColumn(),
            TextColumn("[dim]eta[/]"),
            TimeRemainingColumn(),
            TextColumn("[dim]{task.fields[active]} in flight[/]"),
            console=console,
        )
        total = sum(people.values())
        self.overall = self.progress.add_task(
            f"[bold]{_ALL:<{_NAME_WIDTH}}[/]", total=total, cost=money(0)
        )
        self.clock = self.elapsed.add_task("", total=total, active=0)
        self.rows: dict[str, TaskID] = {}
        self.spent: dict[str, Decimal] = {}
        for name, count in people.items():
            label = escape(_short(name))
            self.rows[name] = self.progress.add_task(
                f"{label:<{_NAME_WIDTH}}", total=count, cost=money(0)
            )
            self.spent[name] = Decimal(0)
        self.reserved = Decimal(0)
        self.active: set[tuple[str, int]] = set()
        self.stopping = False
        self._start_live()

    def __call__(self, person: str | None, event: Event) -> None:
        if isinstance(event, CostUpdated):
            self.reserved = event.reserved
        elif isinstance(event, RunStopping) and not self.stopping:
            self.stopping = True  # every person's batch says so; once is enough
            self.console.print(
                "[yellow]stopping:[/] no new images for anyone; waiting for those in flight "
                "(Ctrl-C again to cancel them)"
            )
        elif person is not None and isinstance(event, JobStarted):
            self.active.add((person, event.index))
        elif person is not None and isinstance(event, JobFinished):
            self._finished(person, event)
        self.live.update(self._render())

    def _finished(self, person: str, event: JobFinished) -> None:
        r = event.result
        self.active.discard((person, r.index))
        if r.status != "reused":
            self.spent[person] += r.spent_usd
            self.progress.update(self.rows[person], cost=money(self.spent[person]))
        if r.status != "not_run":
            self.progress.advance(self.rows[person])
            self.progress.advance(self.overall)
            self.elapsed.advance(self.clock)
        if r.error is None or (r.status == "not_run" and not self.verbose):
            return
        if self._shown_before(r.error.kind, r.error.message):
            return
        self.console.print(
            f"[red]{r.status:>9}[/] {escape(person)} {r.index:02d} {escape(r.prompt_id)} "
            f"[red]{escape(r.error.kind)}[/]: {escape(r.error.message)}",
            soft_wrap=True,
        )

    def _render(self) -> Group:
        spent = sum(self.spent.values(), Decimal(0))
        cost = money(spent)
        if self.reserved > 0:
            cost += f" +{money(self.reserved)}"
        self.progress.update(self.overall, cost=cost)
        self.elapsed.update(self.clock, active=len(self.active))
        return Group(self.progress, self.elapsed)


def _short(name: str) -> str:
    return name if len(name) <= _NAME_WIDTH else name[: _NAME_WIDTH - 1] + "…"


class QuietStudioView:
    """The studio observer for ``--quiet``: shows nothing (the summary comes at the end)."""

    def __enter__(self) -> QuietStudioView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, person: str | None, event: Event) -> None:
        return None
