"""``pinglass train REFS``: fine-tune a LoRA on the person once; ``subjects/NAME/subject.json``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pinglass.cli import app
from pinglass.cli._errors import exit_on_error
from pinglass.cli._options import JsonOpt, QuietOpt, VerboseOpt, YesOpt
from pinglass.cli._output import Output, make_console, make_output
from pinglass.cli._text import money
from pinglass.cli.generate import _ask, _usd_option
from pinglass.errors import BudgetRefused

if TYPE_CHECKING:
    from rich.console import Console

    from pinglass.training import TrainingEvent, TrainingPlan

__all__ = ["train"]


@app.command("train")
def train(
    refs: Annotated[Path, typer.Argument(help="Folder of 10-20 selfies of one person.")],
    provider: Annotated[
        str, typer.Option("--provider", help="Who trains: fal, replicate or mock (offline).")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Subject name (default: the folder's name).")
    ] = None,
    trainer: Annotated[
        str | None, typer.Option("--trainer", help="Trainer short name (default per provider).")
    ] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Training steps.")] = None,
    max_cost: Annotated[
        str | None, typer.Option("--max-cost", help="Spend cap in USD for the training.")
    ] = None,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Fine-tune a LoRA on the best selfies once; then `generate --subject NAME` uses it.

    Example: pinglass train ./selfies --provider fal --name alex --max-cost 8
    """
    output = make_output(json_output=json_out, quiet=quiet)
    with exit_on_error(output):
        from pinglass.settings import load_settings
        from pinglass.training import TrainRequest, check_budget, plan_training, run_training

        settings = load_settings()
        request = TrainRequest(
            refs_dir=refs,
            provider=provider,
            name=name,
            trainer=trainer,
            steps=steps,
            max_cost=_usd_option(max_cost),
        )
        plan = plan_training(request, settings)
        _show_plan(output, plan)
        check_budget(plan)
        _confirm(output, plan, yes=yes)
        progress_console = make_console(quiet=True) if quiet else output.err
        try:
            with _Progress(progress_console, verbose=verbose) as view:
                subject = run_training(plan, settings, observer=view)
        except KeyboardInterrupt:
            output.warn(
                f"stopped watching: a training already sent keeps running at "
                f"{plan.entry.provider}; run the same command again to re-attach to it "
                "(it is never started twice)"
            )
            raise
        output.line(
            f"[green]trained[/] {subject.name}: {escape(subject.generation_model)} · "
            f"{money(subject.cost_usd)} ({subject.cost_source}) · trigger "
            f"{escape(subject.trigger_phrase)}"
        )
        output.result(f"subject: {plan.folder / 'subject.json'}")
        output.result(f"next: pinglass generate --subject {subject.name} --provider {provider}")
        if json_out:
            output.document(subject)


def _show_plan(output: Output, plan: TrainingPlan) -> None:
    if plan.resuming:
        what = "re-attaching to" if plan.book.state == "pending" else "looking up"
        output.info(
            f"[bold]{plan.name}:[/] {what} the {plan.entry.key} training started earlier "
            f"({plan.book.remote_id or 'its answer was lost'}); nothing new is sent"
        )
        return
    output.info(
        f"[bold]references:[/] {plan.usable} usable of {plan.total}; training on "
        f"{len(plan.crops)} square {plan.entry.resolution}px face crops"
    )
    for warning in plan.warnings:
        output.warn(escape(warning))
    unit = {"run": "per run", "step": "per step", "second": "per GPU second"}[plan.entry.unit]
    output.info(
        f"[bold]training:[/] {plan.entry.vendor_id}, {plan.steps} steps · "
        f"${plan.entry.price} {unit} → estimate {money(plan.estimate_usd)}"
    )
    output.info(
        f"[bold]later:[/] a 23-image session with this subject ≈ {money(plan.session_usd)} "
        f"({escape(plan.entry.generation_model)})"
    )
    cap = plan.request.max_cost
    output.info(f"[dim]budget: {'none' if cap is None else money(cap)} · {plan.folder}[/]")


def _confirm(output: Output, plan: TrainingPlan, *, yes: bool) -> None:
    if yes or plan.resuming or plan.estimate_usd <= 0:
        return
    total = plan.estimate_usd
    if not sys.stdin.isatty():
        raise BudgetRefused(
            f"this training is estimated at {money(total)} and needs confirmation; re-run with "
            "--yes to confirm (and --max-cost to cap it)",
            estimated_usd=total,
        )
    if not _ask(output, f"Spend about {money(total)} on training? [y/N]: "):
        raise BudgetRefused("declined; nothing was sent", estimated_usd=total)


class _Progress:
    """Draws training progress (queue position, newest log line, elapsed) on stderr."""

    def __init__(self, console: Console, *, verbose: bool) -> None:
        from rich.status import Status

        self.console = console
        self.verbose = verbose
        self.status = Status("preparing", console=console)
        self._last = ""

    def __enter__(self) -> _Progress:
        self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.status.stop()

    def __call__(self, event: TrainingEvent) -> None:
        if event.kind == "status" and event.status is not None:
            st = event.status
            text: str = st.state
            if st.queue_position is not None:
                text += f" (queue position {st.queue_position})"
            if st.log:
                text += f": {st.log[:80]}"
            text += f" · {event.elapsed_s:.0f}s"
            self.status.update(escape(text))
            if self.verbose and text != self._last:
                self.console.print(f"[dim]{escape(text)}[/]")
            self._last = text
            return
        line = {
            "sent": f"training started: {event.remote_id}",
            "reattached": f"re-attached to {event.remote_id}",
            "reconciled": event.message + (f": {event.remote_id}" if event.remote_id else ""),
            "cancel": f"cancelling {event.remote_id}: {event.message}",
        }.get(event.kind, event.message)
        self.console.print(escape(line))
