"""Print the API's OpenAPI document (`make openapi` writes it to docs/openapi.json; a test
fails when the committed copy is stale)."""

from __future__ import annotations

import json

from driftwarden.handlers.api import openapi_json


def document() -> str:
    return json.dumps(json.loads(openapi_json()), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(document(), end="")  # noqa: T201
