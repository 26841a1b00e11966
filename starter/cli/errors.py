"""The CLI's own failure: a message for stderr and the exit code that goes with it."""

USAGE = 2  # the caller's input is wrong (same code argparse uses)
FAILED = 1  # the input was fine but the service refused or could not be reached


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = FAILED, prefix: str = "error: ") -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        # Input problems print bare (`field: message`), like pydantic's, so scripts parse one form.
        self.prefix = prefix


def input_error(message: str) -> CliError:
    return CliError(message, USAGE, prefix="")
