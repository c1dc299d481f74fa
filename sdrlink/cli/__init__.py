"""Command-line interface: ``sdrlink COMMAND ...`` (one module per command)."""
