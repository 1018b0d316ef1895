"""One module per area; each defines register(subparsers) and sets `func` on its parsers."""
