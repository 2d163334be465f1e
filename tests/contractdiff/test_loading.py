"""Reading JSON and YAML safely, following local $refs, and refusing what cannot be compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from backend_orchestrator.contractdiff import SpecError, diff, diff_files, load_document
from backend_orchestrator.contractdiff.load import Resolver, parse_document

from .specs import api, ids, obj, with_request, with_response

PET = obj({"id": {"type": "integer"}, "name": {"type": "string"}}, ["id", "name"])


def pets(pet: dict[str, object]) -> dict[str, object]:
    return with_response({"$ref": "#/components/schemas/Pet"}, components={"schemas": {"Pet": pet}})


def write(path: Path, data: object, fmt: str) -> Path:
    text = json.dumps(data, indent=2) if fmt == "json" else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_yaml_and_json_files_give_the_same_changes_with_source_lines(tmp_path: Path, fmt: str) -> None:
    base = write(tmp_path / f"base.{fmt}", pets(PET), fmt)
    revision = write(tmp_path / f"rev.{fmt}", pets(obj({"id": {"type": "integer"}}, ["id"])), fmt)
    (change,) = diff_files(base, revision)
    assert change.id == "response-required-property-removed"
    assert change.location.endswith("/schema/properties/name")  # the operation's view, not the component's
    assert change.base_line is not None and change.revision_line is None
    lines = base.read_text().splitlines()
    name_line = next(n for n, line in enumerate(lines, 1) if line.strip() in ('"name": {', "name:"))
    assert change.base_line == name_line


def test_a_change_inside_a_referenced_component_is_reported_at_each_operation_using_it() -> None:
    def spec(pet: dict[str, object]) -> dict[str, object]:
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
        return api({"/pets": {"post": {"requestBody": ref, "responses": {"200": {"description": "ok", **ref}}}}},
                   components={"schemas": {"Pet": pet}})

    changes = diff(spec(PET), spec(obj({"id": {"type": "string"}, "name": {"type": "string"}}, ["id", "name"])))
    assert ids(changes) == {"request-property-type-changed", "response-property-type-changed"}


def test_refs_to_parameters_request_bodies_and_responses_are_followed() -> None:
    def spec(limit_max: int, required: bool) -> dict[str, object]:
        return api({"/a": {"post": {"parameters": [{"$ref": "#/components/parameters/Limit"}],
                                    "requestBody": {"$ref": "#/components/requestBodies/In"},
                                    "responses": {"200": {"$ref": "#/components/responses/Out"}}}}},
                   components={"parameters": {"Limit": {"in": "query", "name": "limit", "schema": {
                       "type": "integer", "maximum": limit_max}}},
                       "requestBodies": {"In": {"required": required, "content": {"application/json": {}}}},
                       "responses": {"Out": {"description": "ok"}}})

    assert ids(diff(spec(100, False), spec(10, True))) == {"request-parameter-max-decreased",
                                                           "request-body-became-required"}


def test_a_recursive_schema_is_compared_without_looping() -> None:
    node = obj({"name": {"type": "string", "maxLength": 50}, "children": {
        "type": "array", "items": {"$ref": "#/components/schemas/Node"}}})
    tighter = obj({"name": {"type": "string", "maxLength": 10}, "children": {
        "type": "array", "items": {"$ref": "#/components/schemas/Node"}}})

    def spec(schema: dict[str, object]) -> dict[str, object]:
        return with_request({"$ref": "#/components/schemas/Node"}, components={"schemas": {"Node": schema}})

    assert ids(diff(spec(node), spec(tighter))) == {"request-property-max-length-decreased"}


def test_a_yaml_alias_cycle_is_compared_without_looping() -> None:
    text = """
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: &node
                type: object
                properties:
                  child: *node
"""
    document = parse_document(text)
    assert diff(document, parse_document(text)) == []


def test_a_circular_ref_chain_is_a_clear_error() -> None:
    spec = with_request({"$ref": "#/components/schemas/A"},
                        components={"schemas": {"A": {"$ref": "#/components/schemas/B"},
                                                "B": {"$ref": "#/components/schemas/A"}}})
    with pytest.raises(SpecError, match=r"circular \$ref chain"):
        diff(spec, spec)


def test_an_external_ref_is_rejected_with_how_to_bundle() -> None:
    spec = with_request({"$ref": "models.yaml#/Pet"})
    with pytest.raises(SpecError, match=r"external \$ref 'models\.yaml#/Pet' .* bundle"):
        diff(spec, spec)


def test_a_dangling_ref_is_rejected() -> None:
    spec = with_request({"$ref": "#/components/schemas/Missing"})
    with pytest.raises(SpecError, match="points to nothing"):
        diff(spec, spec)


def test_ref_siblings_override_the_target_in_openapi_31() -> None:
    def spec(max_length: int) -> dict[str, object]:
        return with_request(obj({"s": {"$ref": "#/components/schemas/S", "maxLength": max_length}}),
                            version="3.1.0", components={"schemas": {"S": {"type": "string"}}})

    assert ids(diff(spec(10), spec(5))) == {"request-property-max-length-decreased"}


def test_pointer_tokens_are_unescaped() -> None:
    resolver = Resolver({"paths": {"/a/b": {"x~y": 1}}})
    assert resolver.target("#/paths/~1a~1b/x~0y") == (1, "/paths/~1a~1b/x~0y")
    with pytest.raises(SpecError, match="not a JSON pointer"):
        resolver.target("#paths")


@pytest.mark.parametrize(("document", "message"), [
    ({"swagger": "2.0"}, "Swagger 2.0 is not supported"),
    ({"openapi": "4.0.0"}, "declares openapi '4.0.0'"),
    ({"openapi": "3.0.0", "paths": []}, "'paths' must be a mapping"),
    (["not", "a", "mapping"], "not a mapping"),
])
def test_a_document_that_is_not_openapi_3_is_rejected(document: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        diff(document, api())  # type: ignore[arg-type]


def test_unreadable_files_are_rejected_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_document(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="is not a file"):
        load_document(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_text("x" * 100, encoding="utf-8")
    with pytest.raises(SpecError, match="the limit is 10 bytes"):
        load_document(big, max_bytes=10)
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: [unclosed", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_document(broken)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{'openapi': 1}", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_document(bad_json)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SpecError, match="cannot read"):
        load_document(binary)


def test_yaml_tags_that_would_run_code_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text("openapi: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_document(evil)


def test_json_that_yaml_cannot_read_still_loads_without_line_numbers() -> None:
    long_key = "k" * 2000  # JSON allows it; a YAML implicit key may be at most 1024 characters
    document = parse_document(f'{{"openapi": "3.0.0", "paths": {{}}, "x-{long_key}": 1}}')
    assert document.data["openapi"] == "3.0.0"
    assert document.lines == {}


def _anchor_chain(depth: int, max_length: int) -> str:
    """A schema where each layer refers twice to the one below: 2**depth paths to the bottom one."""
    layers = [f"    s0: &s0 {{type: string, maxLength: {max_length}}}"]
    layers += [f"    s{n}: &s{n} {{type: object, properties: {{a: *s{n - 1}, b: *s{n - 1}}}}}"
               for n in range(1, depth + 1)]
    return ("openapi: 3.0.3\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n" + "\n".join(layers)
            + f"\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n"
            f"            schema: *s{depth}\n      responses: {{'200': {{description: ok}}}}\n")


def test_a_schema_shared_along_exponentially_many_paths_is_walked_once_and_reported_once() -> None:
    base = parse_document(_anchor_chain(60, 10))
    assert diff(base, parse_document(_anchor_chain(60, 10))) == []
    (change,) = diff(base, parse_document(_anchor_chain(60, 5)))
    assert change.id == "request-property-max-length-decreased"
    assert change.message.startswith("request property 'a/a/a/")  # the first path that reaches it


def test_a_shared_component_is_reported_at_every_operation_that_uses_it() -> None:
    def spec(max_length: int) -> dict[str, object]:
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
        pet = obj({"name": {"type": "string", "maxLength": max_length}, "friend": {"$ref": "#/components/schemas/Pet"}})
        return api({"/a": {"post": {"requestBody": ref, "responses": {"200": {"description": "ok"}}}},
                    "/b": {"put": {"requestBody": ref, "responses": {"200": {"description": "ok"}}}}},
                   components={"schemas": {"Pet": pet}})

    changes = diff(spec(50), spec(10))
    assert [(c.operation, c.message.split(":")[0]) for c in changes] == [
        ("POST /a", "request property 'name'"), ("PUT /b", "request property 'name'")]


def test_a_comparison_larger_than_the_budget_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from backend_orchestrator.contractdiff import engine

    monkeypatch.setattr(engine, "MAX_SCHEMA_PAIRS", 5)
    with pytest.raises(SpecError, match="more than 5 schema pairs"):
        diff(parse_document(_anchor_chain(15, 10)), parse_document(_anchor_chain(15, 5)))
