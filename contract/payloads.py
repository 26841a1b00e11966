"""The project's data converter and the decoding of what callers send to a ticket.

Other systems start tickets and send actions from any SDK or from `temporal workflow
signal/start` without `--input`. Whatever they send (nothing, JSON `null`, two arguments, Go's
`binary/null`, an unknown encoding, malformed JSON), decoding must end in a clear error naming
the problem: a decoding exception the SDK does not expect fails the workflow TASK, which Temporal
retries forever while the ticket's timers stop."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

from policy.loader import describe_validation_error

INVALID_PAYLOAD = "InvalidPayload"
M = TypeVar("M", bound=BaseModel)


class InvalidInput(ValueError):
    """What a caller sent cannot be an action's or a ticket's input; the message says why."""


class StrictPayloadConverter(PydanticPayloadConverter):
    """Pydantic's JSON converter whose decoding failures are non-retryable application errors.

    The SDK turns an ApplicationError raised while decoding a workflow's input into a failed
    workflow, and an activity's into a failed activity; any other exception fails the task."""

    def from_payloads(self, payloads: Any, type_hints: list[type] | None = None) -> list[Any]:
        try:
            return super().from_payloads(payloads, type_hints)
        except ApplicationError:
            raise
        except Exception as err:
            raise ApplicationError(
                describe_decoding_error(err), type=INVALID_PAYLOAD, non_retryable=True
            ) from None


DATA_CONVERTER = DataConverter(payload_converter_class=StrictPayloadConverter)


def describe_decoding_error(err: BaseException) -> str:
    if isinstance(err, ValidationError):
        return describe_validation_error(err)
    if isinstance(err, KeyError):  # the composite converter's "Unknown payload encoding x"
        return f"payload: {err.args[0]}; send JSON (encoding json/plain)"
    cause = err.__cause__ or err
    return f"payload: not decodable ({type(cause).__name__}: {cause})"


def decode_raw(converter: PayloadConverter, payloads: Sequence[Payload]) -> list[Any]:
    """Plain JSON values, or InvalidInput naming why a payload is not one."""
    try:
        return converter.from_payloads(payloads) if payloads else []
    except Exception as err:
        raise InvalidInput(
            err.message if isinstance(err, ApplicationError) else describe_decoding_error(err)
        ) from None


def validate_single(values: Sequence[Any], model: type[M], what: str) -> M:
    """Exactly one JSON object that validates as `model`, or InvalidInput naming the problem."""
    if len(values) != 1:
        got = "nothing" if not values else f"{len(values)} arguments"
        raise InvalidInput(f"{what}: expected one JSON object, got {got}")
    [value] = values
    if not isinstance(value, dict):  # JSON null and Go's binary/null decode to None
        shown = "null" if value is None else type(value).__name__
        raise InvalidInput(f"{what}: expected one JSON object, got {shown}")
    try:
        return model.model_validate(value)
    except ValidationError as err:
        raise InvalidInput(describe_validation_error(err)) from None
