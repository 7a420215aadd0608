"""Help text that shows what a person types, and shell completion of names.

Typer 0.29 labels every flag ``<bool>`` (as if it took a value), writes a required argument as
``{refs}`` in the usage line, labels arguments with their type (``REFS <path>``) and types free
text as ``<str>``. The command classes here drop the flag label and show arguments as ``REFS``
with no type label; options name their value with ``metavar=`` (``USD``,
``NAME|PATH``). The completion functions are what ``--install-completion`` wires into the shell.
"""

from __future__ import annotations

from typing import Any

import typer
from typer._click import Context as ClickContext  # the vendored click Typer 0.29 builds on
from typer.core import TyperArgument, TyperCommand, TyperGroup

__all__ = [
    "PinglassCommand",
    "PinglassGroup",
    "complete_model",
    "complete_preset",
    "complete_provider",
    "complete_providers",
]


def _tidy(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # a flag takes no value: show none
        elif isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = (param.name or "").upper()
            # The Arguments panel would add Typer's type label (``REFS  <path>``); the name and
            # the help line already say what goes there.
            param.display_type_rich = _no_type_label  # type: ignore[method-assign]
    return params


def _no_type_label(ctx: ClickContext) -> str | None:
    return None


def _usage(pieces: list[str]) -> list[str]:
    """``{REFS}`` → ``REFS``: a required argument is written plainly, as man pages do."""
    return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


class PinglassCommand(TyperCommand):
    """A Typer command whose help shows what is typed (no ``<bool>``, ``REFS`` not ``{refs}``)."""

    def get_params(self, ctx: ClickContext) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        return _usage(super().collect_usage_pieces(ctx))


class PinglassGroup(TyperGroup):
    """The group form of :class:`PinglassCommand` (the root app and ``presets``)."""

    def get_params(self, ctx: ClickContext) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        return _usage(super().collect_usage_pieces(ctx))


# --- Completion -------------------------------------------------------------------------------
# Each returns the candidates that start with what has been typed; failures complete nothing
# (a broken catalog must not print a traceback into the shell's completion).


def complete_preset(incomplete: str) -> list[str]:
    """Stock preset names (a path completes as a file in the shell)."""
    from pinglass.presets import stock_preset_names

    return [n for n in stock_preset_names() if n.startswith(incomplete)]


def _catalog_names() -> list[str]:
    try:
        from pinglass.catalog import load_catalog

        catalog = load_catalog()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    return [f"{e.provider}/{e.model}" for e in catalog.models()]


def complete_provider(incomplete: str) -> list[str]:
    """Provider names, and ``provider/model`` once a provider name is typed."""
    from pinglass.providers import PROVIDERS

    if "/" in incomplete:
        return [n for n in _catalog_names() if n.startswith(incomplete)]
    names = [p for p in PROVIDERS if p.startswith(incomplete)]
    if names == [incomplete] or len(names) == 1:
        return [*names, *(n for n in _catalog_names() if n.startswith(names[0] + "/"))]
    return names


def complete_providers(incomplete: str) -> list[str]:
    """Like :func:`complete_provider`, for a comma list: completes the part after the last comma."""
    head, comma, last = incomplete.rpartition(",")
    prefix = head + comma
    return [prefix + name for name in complete_provider(last)]


def complete_model(ctx: typer.Context, incomplete: str) -> list[str]:
    """Model short names, of the ``--provider`` already given when there is one."""
    provider = (ctx.params.get("provider") or "").split(",")[0].partition("/")[0]
    names = _catalog_names()
    models = [n.partition("/")[2] for n in names if not provider or n.startswith(provider + "/")]
    return sorted({m for m in models if m.startswith(incomplete)})
