"""pinglass: batch AI portrait sessions from a folder of selfies.

The library entry points are :func:`pinglass.session.prepare` and :func:`pinglass.session.run`
(plan and price a run, then make it), :func:`pinglass.refs.score_folder` (reference scoring) and
:func:`pinglass.presets.load_preset`. The command-line interface in :mod:`pinglass.cli` is a thin
layer over them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
