"""A stateful fake Hardcover GraphQL API (PROVIDERS.md §4.2), validated against the real schema."""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    GraphQLSchema,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.error import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.common import FIXTURES, FakeBase, FakeClock, Fault, example
from tests.fakes.hardcover_search import make_book
from tests.fakes.hardcover_store import Store, default_books, default_user, select

GOOD_TOKEN = "hc_pat_fake_good_token"
DISABLED_OPERATORS = {"_like", "_nlike", "_ilike", "_nilike", "_niregex", "_nregex", "_iregex",
                      "_regex", "_nsimilar", "_similar"}
# Scope each root field needs (the library-write scope name is [UNCERTAIN] upstream).
FIELD_SCOPES = {"me": "read:me", "search": "read:catalog:search", "books": "read:catalog:data",
                "books_by_pk": "read:catalog:data", "editions": "read:catalog:data",
                "editions_by_pk": "read:catalog:data", "user_books": "read:library",
                "user_book_reads": "read:library"}
WRITE_SCOPE = "write:library"


@cache
def schema() -> GraphQLSchema:
    """Hardcover's published schema (built once per test run; it takes about half a second)."""
    return build_schema((FIXTURES / "hardcover-schema.graphql").read_text(encoding="utf-8"))


@dataclass
class Token:
    user_id: int
    scopes: set[str] = field(default_factory=lambda: {"all"})

    def allows(self, scope: str) -> bool:
        # A parent scope covers its children, "all" covers everything.
        return "all" in self.scopes or any(scope == s or scope.startswith(s + ":")
                                           for s in self.scopes)


def _hasura_error(message: str, path: str = "$", code: str = "validation-failed") -> dict:
    return {"errors": [{"message": message, "extensions": {"path": path, "code": code}}]}


def _translate(error: GraphQLError) -> dict[str, Any]:
    """graphql-core's wording -> Hasura's, for the cases the docs show."""
    message = error.message
    if m := re.match(r"Cannot query field '(\w+)' on type '(\w+)'", message):
        return _hasura_error(f"field '{m[1]}' not found in type: '{m[2]}'")
    if m := re.match(r"Variable '\$(\w+)' of required type '.+' was not provided", message):
        return _hasura_error(f'expecting a value for non-nullable variable: "{m[1]}"')
    if "Int cannot represent" in message:
        return _hasura_error("expected a 32-bit integer for type 'Int', but found a string")
    return _hasura_error(message)


class FakeHardcover(FakeBase):
    """Auth, scopes, proxy limits, a token bucket, schema validation and a stateful library."""

    def __init__(self, books: list[dict[str, Any]] | None = None, *,
                 tokens: dict[str, Token] | None = None, clock: FakeClock | None = None,
                 burst: int = 10, per_minute: int = 60, daily_limit: int = 5000,
                 legacy_401: bool = False, legacy_429: bool = False,
                 scope_error: str = "403", search_alone: bool = False) -> None:
        super().__init__(clock)
        user = default_user()
        self.user_id = user["id"]
        self.store = Store(books if books is not None else default_books(), [user])
        self.tokens = tokens if tokens is not None else {GOOD_TOKEN: Token(self.user_id)}
        self.burst, self.per_minute, self.daily_limit = burst, per_minute, daily_limit
        self._bucket = float(burst)
        self._bucket_at: float | None = None
        self.used_today = 0
        self.legacy_401 = legacy_401
        self.legacy_429 = legacy_429
        self.scope_error = scope_error  # "403" | "graphql" | "empty_me"
        self.search_alone = search_alone
        self.search_delay = 0.0
        self.app = Starlette(routes=[Route("/v1/graphql", self.graphql, methods=["POST"])])

    @classmethod
    def from_books(cls, books: list[dict[str, Any]], **kwargs: Any) -> FakeHardcover:
        """Build from ``{"id", "title", "authors", "isbn13", "pages", ...}`` (see make_book)."""
        return cls([make_book(**b) for b in books], **kwargs)

    # What Hardcover would show for the token's user.
    @property
    def user_books(self) -> dict[int, dict[str, Any]]:
        return self.store.user_books

    @property
    def user_book_reads(self) -> dict[int, dict[str, Any]]:
        return self.store.user_book_reads

    def operations(self) -> list[str | None]:
        return [(r.json or {}).get("operationName") for r in self.requests]

    # Fault presets.
    def fail_with(self, name: str, status: int, times: int = 1, **headers: str) -> None:
        self.fail_next(Fault(status, example(name), dict(headers)), times)

    def fail_unauthorized(self, times: int = 1) -> None:
        name = ("hardcover_error_401_legacy.json" if self.legacy_401
                else "hardcover_error_401_invalid_token.json")
        self.fail_with(name, 401, times)

    def fail_missing_scope(self, scope: str = WRITE_SCOPE, times: int = 1) -> None:
        body = example("hardcover_error_403_insufficient_scope.json")
        body["scope"] = scope
        self.fail_next(Fault(403, body), times)

    def fail_graphql(self, name: str = "hardcover_error_graphql_validation.json",
                     times: int = 1) -> None:
        self.fail_with(name, 200, times)

    def fail_rate_limited(self, retry_after: float = 6, times: int = 1) -> None:
        name = "hardcover_error_429_legacy.json" if self.legacy_429 else "hardcover_error_429.json"
        self.fail_next(Fault(429, example(name), {"Retry-After": str(int(retry_after))}), times)

    def fail_slow(self, seconds: float, times: int = 1) -> None:
        self.fail_next(Fault(delay=seconds, passthrough=True), times)

    # ---- the endpoint -------------------------------------------------------------------
    async def graphql(self, request: Request) -> Response:
        await self.record(request)
        fault = await self.take_fault()
        if fault is not None:
            return fault
        token = self._auth(request.headers.get("authorization", ""))
        if isinstance(token, Response):
            return token
        try:
            body = json.loads(await request.body())
            assert isinstance(body, dict) and isinstance(body.get("query"), str)
        except (ValueError, AssertionError):
            return JSONResponse(example("hardcover_error_400_malformed.json"), 400)
        try:
            document = parse(body["query"])
        except GraphQLError as exc:
            return JSONResponse({"error": "invalid_query", "error_description": exc.message}, 400)
        operation = next((d for d in document.definitions
                          if isinstance(d, OperationDefinitionNode)), None)
        if operation is None:
            return JSONResponse({"error": "invalid_query",
                                 "error_description": "no operation"}, 400)
        variables = body.get("variables") or {}
        fields = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        refused = self._proxy_limits(operation, fields, variables, body["query"])
        if refused is not None:
            return refused
        refused = self._scope(token, operation, fields)
        if refused is not None:
            return refused
        limited = self._rate_limit(len(fields))
        if limited is not None:
            return limited
        if any(f.name.value == "search" for f in fields) and self.search_delay:
            await asyncio.sleep(self.search_delay)
        return self._json(200, self._run(document, operation, variables, body, token))

    def _auth(self, header: str) -> Token | Response:
        scheme, _, value = header.partition(" ")
        token = self.tokens.get(value) if scheme.lower() == "bearer" else None
        if token is not None:
            return token
        if value.startswith("eyJ"):  # a legacy JWT that expired answers in-band
            return self._json(200, example("hardcover_error_graphql_invalid_jwt.json"))
        name = ("hardcover_error_401_legacy.json" if self.legacy_401
                else "hardcover_error_401_invalid_token.json")
        return self._json(401, example(name))

    def _proxy_limits(self, operation: OperationDefinitionNode, fields: list[FieldNode],
                      variables: dict[str, Any], query: str) -> Response | None:
        used = DISABLED_OPERATORS & (set(re.findall(r"\b_\w+", query))
                                     | set(re.findall(r"\b_\w+", json.dumps(variables))))
        if used:
            op = sorted(used)[0]
            return self._json(403, {"error": f"The {op} operator is not allowed for API requests."})
        searches = sum(f.name.value == "search" for f in fields)
        if searches > 1 or (searches and self.search_alone and len(fields) > 1):
            return self._json(403, {"errors": ["search_query_limit_exceeded"]})
        if len(fields) > 5:
            code = ("top_level_mutation_limit_exceeded"
                    if operation.operation == OperationType.MUTATION
                    else "top_level_query_limit_exceeded")
            return self._json(403, {"errors": [code]})
        return None

    def _scope(self, token: Token, operation: OperationDefinitionNode,
               fields: list[FieldNode]) -> Response | None:
        for f in fields:
            name = f.name.value
            needed = (WRITE_SCOPE if operation.operation == OperationType.MUTATION
                      else FIELD_SCOPES.get(name, "read:catalog"))
            if token.allows(needed):
                continue
            if self.scope_error == "403":
                body = example("hardcover_error_403_insufficient_scope.json")
                body["scope"] = needed
                return self._json(403, body)
            if self.scope_error == "empty_me" and name == "me":
                return self._json(200, example("hardcover_me_empty.json"))
            root = ("mutation_root" if operation.operation == OperationType.MUTATION
                    else "query_root")
            return self._json(200, _hasura_error(f"field '{name}' not found in type: '{root}'",
                                                 f"$.selectionSet.{name}"))
        return None

    def _rate_limit(self, cost: int) -> Response | None:
        now = self.now()
        if self._bucket_at is not None:
            self._bucket = min(self.burst, self._bucket + (now - self._bucket_at)
                               * self.per_minute / 60)
        self._bucket_at = now
        if self._bucket < cost or self.used_today + cost > self.daily_limit:
            wait = max(1, math.ceil((cost - self._bucket) * 60 / self.per_minute))
            name = ("hardcover_error_429_legacy.json" if self.legacy_429
                    else "hardcover_error_429.json")
            return self._json(429, example(name), {"Retry-After": str(wait)})
        self._bucket -= cost
        self.used_today += cost
        return None

    def _run(self, document: Any, operation: OperationDefinitionNode, variables: dict[str, Any],
             body: dict[str, Any], token: Token) -> dict[str, Any]:
        errors = validate(schema(), document)
        if errors:
            return _translate(errors[0])
        declared = {v.variable.name.value: v for v in operation.variable_definitions or ()}
        extra = sorted(set(variables) - set(declared))
        if extra:
            return _hasura_error(f"unexpected variables in variableValues: {', '.join(extra)}")
        for name, definition in declared.items():
            if isinstance(definition.type, NonNullTypeNode) and variables.get(name) is None:
                return _hasura_error(f'expecting a value for non-nullable variable: "{name}"')

        def resolve(source: Any, info: Any, **args: Any) -> Any:
            if source is None:  # the root value
                return self.store.resolve_root(token.user_id, info.field_name, args, info)
            value = source.get(info.field_name) if isinstance(source, dict) else None
            if callable(value):
                value = value()
            if isinstance(value, list) and args:
                value = select(value, args)
            if isinstance(value, dict) and "path" in args:  # cached_tags(path: "Genre")
                value = value.get(args["path"])
            return value

        result = execute(schema(), document, root_value=None, variable_values=variables,
                         operation_name=body.get("operationName"), field_resolver=resolve)
        assert not hasattr(result, "__await__")
        if result.errors:
            return _translate(result.errors[0])
        return {"data": result.data}

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        now = self.now()
        remaining = max(0, int(self._bucket))
        all_headers = {
            "RateLimit-Policy": f'"Free";q={self.per_minute};w=60;burst={self.burst}, '
                                f'"daily";q={self.daily_limit};w=86400',
            "RateLimit": f'"Free";r={remaining};t=1, '
                         f'"daily";r={self.daily_limit - self.used_today};t=51234',
            "X-RateLimit-Limit": str(self.burst), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(now) + 1),
            "X-RateLimit-Daily-Limit": str(self.daily_limit),
            "X-RateLimit-Daily-Remaining": str(self.daily_limit - self.used_today),
            "X-RateLimit-Daily-Reset": str(int(now) + 51234),
            **(headers or {}),
        }
        return JSONResponse(body, status_code=status, headers=all_headers,
                            media_type="application/json; charset=utf-8")
