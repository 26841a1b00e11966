"""`python -m starter`: the support-escalation CLI (see starter/cli/parser.py for the commands)."""

import os
import sys

from starter.cli.main import main

if __name__ == "__main__":
    code = main()
    # The Temporal client's Rust threads can abort interpreter shutdown ("Fatal Python error:
    # PyGILState_Release", temporalio/sdk-python#300; seen here on `samples`). The work is done,
    # so flush and skip the teardown rather than turn a success into exit 134.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
