"""``python -m pinglass``."""

from pinglass.cli import main

main()
