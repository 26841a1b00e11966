"""`python -m starter`: the command-line interface."""
