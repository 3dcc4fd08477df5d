"""`python -m rasa_plugins ...`: Rasa's command line, as the Procfile runs it, with one fix for speed.

Rasa 3.6 checks every action server response with `jsonschema.validate`, which first checks Rasa's own,
constant response schema against the JSON Schema metaschema: 35 ms of CPU per action call against 2 ms
for the check of the response itself (measured with Rasa's schema and one of our answers; `make bench`'s
profile showed jsonschema at a third of Rasa's CPU). The same check runs here with a validator built once.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, where Rasa does it on every call
    return cls(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result of Rasa 3.6.21, with the validator built once."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


FIXED_VERSION = "3.6.21"


def install() -> bool:
    """Applies the fix to the Rasa version it was written against; any other keeps Rasa's own code."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    if rasa.__version__ != FIXED_VERSION:
        print(f"rasa_plugins: Rasa {rasa.__version__} is not {FIXED_VERSION}; its own response check is kept",
              file=sys.stderr)
        return False
    RemoteAction._validate_action_result = _validate_action_result
    return True


if __name__ == "__main__":
    install()
    from rasa.__main__ import main

    sys.exit(main())
