"""The ``wenji`` subcommands: one module per command group, each with a
``register(subparsers)`` function that ``app.cli`` calls."""
