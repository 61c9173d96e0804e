"""The pact language's JSON Schema as OpenAPI components, so the publish endpoint declares the
whole document and generated clients (and schemathesis) see every clause kind."""

from __future__ import annotations

from typing import Any

from pactline_pacts import PactDocument

PREFIX = "Pact_"


def pact_components() -> dict[str, dict[str, Any]]:
    """``PactDocument`` and its parts, named ``Pact_<Part>`` so they never meet the API's own."""
    schema = PactDocument.model_json_schema(ref_template="#/components/schemas/" + PREFIX + "{model}")
    parts = schema.pop("$defs", {})
    return {"PactDocument": schema, **{PREFIX + name: part for name, part in parts.items()}}
