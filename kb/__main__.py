"""`python -m kb`: the command-line entry point."""

from kb.cli import main

raise SystemExit(main())
