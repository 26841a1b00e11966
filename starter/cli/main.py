"""Entry point of `python -m starter`: parse, run the command, map failures to exit codes."""

import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError, RPCStatusCode

from starter.cli.commands import COMMANDS
from starter.cli.errors import USAGE, CliError
from starter.cli.parser import build_parser
from starter.cli.render import validation_lines


async def run(argv: Sequence[str] | None = None) -> int:
    """The whole CLI as a coroutine, so tests can drive it inside their own event loop."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse already printed the usage error
        return int(exit_.code or 0)
    try:
        return await COMMANDS[args.command](args)
    except ValidationError as err:
        for line in validation_lines(err):
            print(line, file=sys.stderr)
        return USAGE
    except CliError as err:
        print(f"{err.prefix}{err.message}", file=sys.stderr)
        return err.exit_code
    except RPCError as err:
        print(f"error: {describe_rpc_error(err, args)}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        # The driver's own message names the problem (no such table, connection refused).
        problem = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        print(f"error: records database: {problem} (has `init` run?)", file=sys.stderr)
        return 1


def describe_rpc_error(err: RPCError, args: object) -> str:
    ticket_id = getattr(args, "ticket_id", None)
    if err.status == RPCStatusCode.NOT_FOUND and ticket_id:
        return f"no ticket {ticket_id} ({err.message})"
    return f"{err.status.name if err.status else 'RPC'}: {err.message}"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return asyncio.run(run(argv))
    except KeyboardInterrupt:
        return 130
