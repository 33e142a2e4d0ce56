"""The spec tier: every operation of Binance's official OpenAPI description, declared from it.

`mock_server/spec/spot_api.yaml` (its source and license in `SOURCE.md` beside it; the mock
reads `spot_api.json`, the same data made by tools/spec_json.py) says, for
each operation, its security (no key, a key, or a signed request), its parameters with their
types, enums and bounds, its weight in the description ("Weight(IP): 20"), and the schema of
its 200 body. Each becomes an `Endpoint` like the hand-written ones, so the pipeline applies
Binance's rules to all of them alike; exact declarations (endpoints/registry.py) replace the
spec's for their own routes. What the spec tier does not know is in docs/fidelity.md
("The spec tier").
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, Literal

from mock_server.endpoints.bodies import Template, value_for
from mock_server.endpoints.coherent import COHERENT
from mock_server.endpoints.declaration import Context, Endpoint, Security
from mock_server.rules.fidelity import Profile, Switch
from mock_server.rules.params import Choice, Decimal, Long, ParamRule, Text
from mock_server.rules.security import SECURITY_PARAMS

METHODS = ("get", "post", "put", "delete")
# F39: parameters the description marks mandatory (it shares one `symbol` component, mandatory,
# among operations) where Binance's own endpoint pages say optional, and clients omit them.
ERRATA: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/sapi/v1/margin/allPairs"): frozenset({"symbol"}),
    ("GET", "/sapi/v1/margin/isolated/allPairs"): frozenset({"symbol"}),
}
_WEIGHT = re.compile(r"Weight\((IP|UID)\)\s*:?[^0-9]*?(\d+)", re.S)
_PARAM_REF = "#/components/parameters/"
ENUM_AS_1100 = Switch("bad_enum", "-1100")  # F38


SPEC_FILE = resources.files("mock_server").joinpath("spec/spot_api.yaml")


# Where the description's answers contradict Binance's own documentation (docs/fidelity.md, "Where
# the description is wrong"): a JSON pointer into the description, and what stands there instead,
# or a function of what stood there. The contract suite's fuzz corrects the description alike.
_MINI = ["symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime",
         "closeTime", "firstId", "lastId", "count"]  # fmt: skip
_200 = "/responses/200/content/application~1json/schema"
_BAD_REQUEST = {"description": "Bad Request",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}}  # fmt: skip
SCHEMA_ERRATA: tuple[tuple[str, Any], ...] = (
    # aggTrades' `T` is the trade time in ms; the description types it a boolean.
    ("/components/schemas/aggTrade/properties/T", {"type": "integer", "format": "int64"}),
    # Each filter object has its own type's keys; the description requires PRICE_FILTER's of all.
    ("/paths/~1api~1v3~1exchangeInfo/get" + _200 + "/properties/symbols/items/properties/filters/items/required",
     ["filterType"]),
    # The tickers' `type=MINI` answers the MINI fields alone; the description knows FULL only.
    ("/components/schemas/ticker/required", _MINI),
    ("/components/schemas/dayTicker/required", _MINI),
    ("/paths/~1api~1v3~1ticker/get" + _200 + "/required", _MINI),
    # The rolling-window ticker answers a list for `symbols`; the description, an object only.
    ("/paths/~1api~1v3~1ticker/get" + _200, lambda one: {"oneOf": [one, {"type": "array", "items": one}]}),
    # An unknown symbol is -1121 (400) here as on every market endpoint; the description lists 200 only.
    ("/paths/~1api~1v3~1historicalTrades/get/responses/400", _BAD_REQUEST),
    # The isolated listenKey's POST needs `symbol` (Binance's margin page): without it -1102 (400);
    # the description names no parameter and lists 200 only.
    ("/paths/~1sapi~1v1~1userDataStream~1isolated/post/responses/400", _BAD_REQUEST),
)  # fmt: skip


def corrected(spec: dict[str, Any]) -> dict[str, Any]:
    """The description with SCHEMA_ERRATA applied (in place)."""
    for pointer, value in SCHEMA_ERRATA:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
        node = spec
        for part in parents:
            node = node[part]
        node[last] = value(node[last]) if callable(value) else value
    return spec


@functools.cache
def load_spec() -> dict[str, Any]:
    """The description, read once a process: its JSON form, which tools/spec_json.py makes from
    spot_api.yaml (a few ms, where parsing the YAML takes a third of a second), corrected."""
    data: dict[str, Any] = json.loads(
        resources.files("mock_server").joinpath("spec/spot_api.json").read_bytes()
    )
    return corrected(data)


@functools.cache
def spec_endpoints(seed: int = 7) -> tuple[Endpoint, ...]:
    """One declaration per operation of the description, in its order (made once a seed)."""
    spec = load_spec()
    resolve = _resolver(spec)
    out: list[Endpoint] = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                out.append(_declare(method.upper(), path, item[method], resolve, seed))
    return tuple(out)


def spec_schema(method: str, path: str) -> Callable[[Profile], dict[str, Any]]:
    """The 200 body's schema the description gives an operation: what a declared endpoint that
    takes the operation over shows in /_mock/openapi.json and is validated against."""
    spec = load_spec()
    resolve = _resolver(spec)
    schema = _ok_schema(spec["paths"][path][method.lower()], resolve)
    inlined: dict[str, Any] = _inline(schema, resolve) if schema is not None else {"type": "object"}
    return lambda profile: inlined


def _resolver(spec: Mapping[str, Any]) -> Any:
    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    return resolve


def _declare(method: str, path: str, op: Mapping[str, Any], resolve: Any, seed: int) -> Endpoint:
    optional = ERRATA.get((method, path), frozenset())
    params = [
        {**p, "required": False} if p.get("name") in optional else p
        for p in map(resolve, op.get("parameters", []))
    ]
    names = {p.get("name") for p in params}
    if "signature" in names:
        security = Security.SIGNED
    elif op.get("security"):
        security = Security.API_KEY
    else:
        security = Security.NONE
    kind, weight = _weight(op.get("description", ""))
    schema = _ok_schema(op, resolve)
    template = Template(value_for(schema, resolve, seed, path)) if schema is not None else Template({})
    inlined = _inline(schema, resolve) if schema is not None else {"type": "object"}

    coherent = COHERENT.get((method, path))

    def answer(request: Any, ctx: Context) -> bytes:
        if coherent is None:
            return template.render(ctx.now_ms)
        body = coherent(json.loads(template.render(ctx.now_ms)), ctx)
        return json.dumps(body, separators=(",", ":")).encode()

    def body_schema(profile: Profile) -> dict[str, Any]:
        return inlined

    return Endpoint(
        method=method,
        path=path,
        summary=op.get("summary", ""),
        answer=answer,
        schema=body_schema,
        security=security,
        weight=weight,
        weight_kind=kind,
        params=tuple(_rule(p) for p in params if p.get("in") == "query" and p["name"] not in SECURITY_PARAMS),
        tier="spec",
        operation_id=op.get("operationId", ""),
        # F23's -21003 is a margin error ("Fail to retrieve margin assets."): pacing acts on the
        # signed margin endpoints, as on the margin history.
        paced=security is Security.SIGNED and path.startswith("/sapi/v1/margin/"),
    )


def _weight(description: str) -> tuple[Literal["IP", "UID"], int]:
    """The first weight the description gives (where it varies, the one it lists first)."""
    found = _WEIGHT.search(description)
    if found is None:
        return "IP", 1
    return ("UID" if found.group(1) == "UID" else "IP"), int(found.group(2))


def _ok_schema(op: Mapping[str, Any], resolve: Any) -> Mapping[str, Any] | None:
    ok = resolve(op.get("responses", {}).get("200", {}))
    return ok.get("content", {}).get("application/json", {}).get("schema")


def _inline(schema: Any, resolve: Any) -> Any:
    """The schema with every $ref replaced by what it names (for /_mock/openapi.json)."""
    schema = resolve(schema)
    if isinstance(schema, Mapping):
        return {k: _inline(v, resolve) for k, v in schema.items() if k != "example"}
    if isinstance(schema, list):
        return [_inline(x, resolve) for x in schema]
    return schema


def _rule(param: Mapping[str, Any]) -> ParamRule:
    name, required = param["name"], bool(param.get("required", False))
    schema = param.get("schema", {})
    description = (param.get("description") or "").strip()
    kind = schema.get("type")
    if schema.get("enum"):
        values = tuple(str(v) for v in schema["enum"])
        return Choice(name, values, required=required, invalid=ENUM_AS_1100, description=description)
    if kind == "integer":
        return Long(name, required=required, minimum=schema.get("minimum"), maximum=schema.get("maximum"),
                    description=description)  # fmt: skip
    if kind == "number":
        return Decimal(name, required=required, description=description)
    if kind == "boolean":
        return Choice(
            name, ("true", "false"), required=required, invalid=ENUM_AS_1100, description=description
        )
    return Text(name, required=required, description=description)
