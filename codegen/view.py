"""View models: every decision about names, annotations, overloads and docstrings, made in Python.

The templates only lay these objects out; nothing in them branches on types.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass

from codegen.model import Endpoint, Method, Param, Schema, Transport

INTO_PARAMETER = "into: type[_T]"
"""How `into=` is declared: the model class the result is converted into."""

INTO_DOCS = {
    "records": "into: A model (msgspec Struct, dataclass, TypedDict, ...) to convert each"
    " record into, with msgspec.convert; None keeps plain dicts.",
    "value": "into: A type to convert the result into, for example `list[Person]`; None"
    " keeps the plain value.",
}

MISSING_TYPE = "_params.Missing"
MISSING_VALUE = "_params.MISSING"
"""The default of a parameter that may instead be given under its alias."""

DOC_WIDTH = 88
"""Docstring lines are wrapped to this width; they sit 8 spaces deep in a 100-column file."""

TRANSPORT_TITLES = {"ws": "WebSocket", "http": "HTTP", "embedded": "the embedded engine"}
TRANSPORT_NAMES = {"ws": "WebSocket", "http": "HTTP", "embedded": "embedded"}


@dataclass(frozen=True)
class ParamView:
    """One parameter as it appears in a signature and in the request it builds."""

    name: str
    annotation: str
    default: str | None
    wire_expression: str
    is_session: bool
    secret: bool = False
    alias: str | None = None
    sent_when_none: bool = False

    @property
    def declaration(self) -> str:
        """`name: annotation` with its default, as written in a signature."""
        text = f"{self.name}: {self.annotation}"
        return text if self.default is None else f"{text} = {self.default}"

    @property
    def alias_declaration(self) -> str:
        """The parameter under its alias, keyword-only in the overload that uses the aliases."""
        assert self.alias is not None
        text = f"{self.alias}: {self.annotation}"
        return text if self.default is None else f"{text} = {self.default}"

    @property
    def optional_alias(self) -> bool:
        """An optional parameter that may also come under its alias (keyword-only)."""
        return self.alias is not None and self.default is not None

    @property
    def missing_declaration(self) -> str:
        """The parameter in an implementation that also takes aliases: it may be left out."""
        return f"{self.name}: {self.annotation} | {MISSING_TYPE} = {MISSING_VALUE}"


@dataclass(frozen=True)
class OverloadView:
    """A typed variant of a method: the full parameter list and the result it gives."""

    parameters: str
    result: str


@dataclass(frozen=True)
class MethodView:
    """One method: its Python signature, request builder, reply parser and docstring."""

    name: str
    wire: str
    params: tuple[ParamView, ...]
    result: str
    reply: str
    docstring: str
    overloads: tuple[OverloadView, ...]
    transports: tuple[str, ...]
    into: str | None = None
    returns_server_errors: bool = False
    endpoint: Endpoint | None = None
    """Set for an HTTP endpoint (schema/http.toml) rather than an RPC method."""

    @property
    def builder_result(self) -> str:
        """What the request builder returns: an RPC `Request` or an `EndpointRequest`."""
        return "Request" if self.endpoint is None else "_endpoints.EndpointRequest"

    @property
    def parameters(self) -> str:
        """The parameters after `self`, as declared (with `into=` when the method has it).

        With aliases, every required parameter from the first aliased one on may be left out
        (it may come under its alias, or is checked in the body), and the aliases follow as
        keyword-only parameters.
        """
        first = self.first_aliased
        declared = [
            param.missing_declaration
            if index >= first and param.default is None
            else param.declaration
            for index, param in enumerate(self.params)
        ]
        keywords = [
            f"{p.alias}: {_or_missing(p.annotation)} = {MISSING_VALUE}"
            for p in self.params
            if p.alias
        ]
        if self.into is not None:
            keywords.append(f"{INTO_PARAMETER} | None = None")
        if keywords:
            declared.append("*, " + ", ".join(keywords))
        return ", ".join(declared)

    @property
    def first_aliased(self) -> int:
        """The index of the first required parameter with an alias (past the end when none).

        An optional parameter's alias is one more keyword-only parameter in every signature,
        so it changes nothing before it.
        """
        return next(
            (i for i, p in enumerate(self.params) if p.alias and not p.optional_alias),
            len(self.params),
        )

    @property
    def resolutions(self) -> tuple[str, ...]:
        """The statements that settle each parameter given by name, alias or not at all."""
        lines = []
        first = self.first_aliased
        for index, param in enumerate(self.params):
            if index < first and not param.optional_alias:
                continue
            # Two identity checks when the parameter came under its own name; a call otherwise.
            if param.optional_alias:
                lines.append(f"if {param.alias} is not {MISSING_VALUE}:")
                lines.append(
                    f"    {param.name} = cast({param.annotation!r}, _params.aliased_optional("
                    f"{self.name!r}, {param.name!r}, {param.name}, {param.alias!r}, {param.alias}))"
                )
            elif param.alias is not None:
                lines.append(
                    f"if {param.alias} is not {MISSING_VALUE} or {param.name} is {MISSING_VALUE}:"
                )
                lines.append(
                    f"    {param.name} = cast({param.annotation!r}, _params.aliased("
                    f"{self.name!r}, {param.name!r}, {param.name}, {param.alias!r}, {param.alias}))"
                )
            elif param.default is None:
                lines.append(f"if {param.name} is {MISSING_VALUE}:")
                lines.append(f"    {param.name} = _params.given({self.name!r}, {param.name!r})")
        return tuple(lines)

    def support_mark(self, transport: str) -> str:
        """✓ where the method works on the transport, an empty cell where it does not."""
        return "✓" if transport in self.transports else ""

    def result_expression(self, await_keyword: str) -> str:
        """The expression that turns the reply into the method's return value."""
        if self.endpoint is not None:
            return f"_endpoints.{self.reply}({await_keyword}self._endpoint(request))"
        parsed = f"_replies.{self.reply}({await_keyword}self._call(request), request)"
        if self.into is None:
            return parsed
        return f"_into.{self.into}({parsed}, into)"

    @property
    def builder_parameters(self) -> str:
        """The parameters of the request builder: the RPC's own, without `into=`."""
        return ", ".join(param.declaration for param in self.params)

    @property
    def implementation_result(self) -> str:
        """The return annotation of the implementation (Any behind `into=` overloads)."""
        return "Any" if self.into is not None else self.result

    @property
    def arguments(self) -> str:
        """The parameters passed on to the request builder."""
        return ", ".join(param.name for param in self.params)

    @property
    def secret_arguments(self) -> str:
        """The parameters holding a password or token, dropped once the request is built."""
        names = []
        for param in self.params:
            if param.secret:
                names.append(param.name)
                if param.alias is not None:
                    names.append(param.alias)
        return ", ".join(names)

    @property
    def request_expression(self) -> str:
        """The expression that builds this method's `Request` (or `EndpointRequest`)."""
        if self.endpoint is not None:
            args = [repr(self.name), repr(self.endpoint.http_method), repr(self.endpoint.path)]
            args.append(f"authenticated={self.endpoint.authenticated!r}")
            if self.params:
                pairs = ", ".join(f"{p.name!r}: {p.name}" for p in self.params)
                args.append(f"arguments={{{pairs}}}")
            return f"_endpoints.EndpointRequest({', '.join(args)})"
        positional = [p.wire_expression for p in self.params if not p.is_session]
        session = [p.wire_expression for p in self.params if p.is_session]
        params = f"[{', '.join(positional)}]"
        if any(
            p.default is not None and not p.sent_when_none for p in self.params if not p.is_session
        ):
            params = f"_params.without_trailing_none({params})"
        args = [repr(self.wire), params]
        if session:
            args.append(f"session={session[0]}")
        return f"Request({', '.join(args)})"

    def unsupported_docstring(self, transport: str) -> str:
        """The docstring of the method where the server cannot do it."""
        supported = " and ".join(TRANSPORT_TITLES[t] for t in self.transports)
        return f"Not available over {TRANSPORT_TITLES[transport]}; available over {supported}."


@dataclass(frozen=True)
class TransportView:
    """One concrete connection class: a runtime transport plus the generated methods."""

    key: str
    title: str
    class_name: str
    runtime_class: str
    runtime_module: str
    unsupported: tuple[MethodView, ...]


@dataclass(frozen=True)
class FlavourView:
    """Sync or async: the keywords and names that differ between the two renderings."""

    is_async: bool
    prefix: str
    def_keyword: str
    await_keyword: str
    base_class: str
    runtime_base: str
    title: str
    article: str
    factory: str
    methods_class: str
    methods_module: str
    scopes_class: str


FLAVOURS = {
    "blocking": FlavourView(
        is_async=False,
        prefix="Blocking",
        def_keyword="def",
        await_keyword="",
        base_class="BlockingSurrealConnection",
        runtime_base="BlockingRpcClient",
        title="blocking",
        article="A blocking",
        factory="Surreal",
        methods_class="BlockingSurrealMethods",
        methods_module="blocking_methods",
        scopes_class="BlockingScopes",
    ),
    "asyncio": FlavourView(
        is_async=True,
        prefix="Async",
        def_keyword="async def",
        await_keyword="await ",
        base_class="AsyncSurrealConnection",
        runtime_base="AsyncRpcClient",
        title="asyncio",
        article="An asyncio",
        factory="AsyncSurreal",
        methods_class="AsyncSurrealMethods",
        methods_module="asyncio_methods",
        scopes_class="AsyncScopes",
    ),
}


def method_views(schema: Schema) -> tuple[MethodView, ...]:
    """Every method of the schema, in file order, ready to render."""
    return tuple(_method_view(schema, name, method) for name, method in schema.methods.items())


def endpoint_views(schema: Schema) -> tuple[MethodView, ...]:
    """Every HTTP endpoint of the schema, in file order, as methods ready to render."""
    return tuple(
        MethodView(
            name=name,
            wire=f"{endpoint.http_method} {endpoint.path}",
            params=tuple(_param_view(schema, param) for param in endpoint.params),
            result=schema.types[endpoint.result].python,
            reply=endpoint.reply,
            docstring=_docstring(endpoint.doc, endpoint.params, None, endpoint.transports),
            overloads=(),
            transports=tuple(endpoint.transports),
            endpoint=endpoint,
        )
        for name, endpoint in schema.endpoints.items()
    )


def wire_transports(methods: tuple[MethodView, ...]) -> dict[str, tuple[str, ...]]:
    """For each RPC method sent on the wire, the transports where it works."""
    merged: dict[str, set[str]] = {}
    for method in methods:
        merged.setdefault(method.wire, set()).update(method.transports)
    order = list(TRANSPORT_TITLES)
    return {wire: tuple(sorted(found, key=order.index)) for wire, found in merged.items()}


def transport_views(
    flavour: FlavourView, methods: tuple[MethodView, ...]
) -> tuple[TransportView, ...]:
    """The concrete connection classes of one flavour, with the methods each cannot do."""
    module = "blocking" if not flavour.is_async else "asyncio"
    return tuple(
        TransportView(
            key=key,
            title=title,
            class_name=f"{flavour.prefix}{name}SurrealConnection",
            runtime_class=f"{flavour.prefix}{name}Transport",
            runtime_module=f"surrealdb.transports.{key}_{module}",
            unsupported=tuple(m for m in methods if key not in m.transports),
        )
        for key, name, title in (
            ("ws", "Ws", "WebSocket"),
            ("http", "Http", "HTTP"),
            ("embedded", "Embedded", "the embedded engine"),
        )
    )


def _method_view(schema: Schema, name: str, method: Method) -> MethodView:
    params = tuple(_param_view(schema, param) for param in method.params)
    return MethodView(
        name=name,
        wire=method.wire or name,
        params=params,
        result=schema.types[method.result].python,
        reply=method.reply,
        docstring=_docstring(method.doc, method.params, method.into, method.transports),
        overloads=_overloads(schema, method, params),
        transports=tuple(method.transports),
        into=method.into,
        returns_server_errors=method.server_errors == "return",
    )


def _overloads(
    schema: Schema, method: Method, params: tuple[ParamView, ...]
) -> tuple[OverloadView, ...]:
    """The typed variants: the schema's overloads, each doubled for `into=None` / `into=Model`.

    A method with `into` and no overloads of its own gets the two `into` variants alone.
    """
    typed_params: list[tuple[tuple[ParamView, ...], str]] = [
        (
            tuple(
                dataclasses.replace(p, annotation=schema.types[overload.type].python)
                if p.name == overload.param
                else p
                for p in params
            ),
            overload.result,
        )
        for overload in method.overloads
    ]
    has_alias = any(p.alias and not p.optional_alias for p in params)
    optional_aliases = [
        f"{p.alias}: {p.annotation} = {p.default}" for p in params if p.optional_alias
    ]
    if not typed_params and (method.into is not None or has_alias or optional_aliases):
        typed_params.append((params, method.result))
    variants: list[tuple[list[str], str]] = []
    for variant, result in typed_params:
        variants.append(([p.declaration for p in variant], result))
        if has_alias:
            variants.append((_aliased_declarations(variant), result))
    if optional_aliases:  # keyword-only, in every variant
        variants = [
            ([*declared, *([] if "*" in declared else ["*"]), *optional_aliases], result)
            for declared, result in variants
        ]
    if method.into is None:
        return tuple(
            OverloadView(", ".join(declared), schema.types[result].python)
            for declared, result in variants
        )
    expanded: list[OverloadView] = []
    for declared, result in variants:
        typed = schema.types[result].typed
        assert typed is not None, "validated by codegen.model"
        keyword_only = [] if any(d.startswith("*") for d in declared) else ["*"]
        untyped_args = ", ".join([*declared, *keyword_only, "into: None = None"])
        typed_args = ", ".join([*declared, *keyword_only, INTO_PARAMETER])
        expanded.append(OverloadView(untyped_args, schema.types[result].python))
        expanded.append(OverloadView(typed_args, typed))
    return tuple(expanded)


def _or_missing(annotation: str) -> str:
    """`annotation` that may also be `_params.Missing` (None, if there, stays last)."""
    if annotation.endswith(" | None"):
        return f"{annotation.removesuffix(' | None')} | {MISSING_TYPE} | None"
    return f"{annotation} | {MISSING_TYPE}"


def _aliased_declarations(params: tuple[ParamView, ...]) -> list[str]:
    """The overload that takes the aliases: keyword-only from the first aliased parameter on."""
    first = next(i for i, p in enumerate(params) if p.alias and not p.optional_alias)
    head = [p.declaration for p in params[:first]]
    tail = [
        p.alias_declaration if p.alias and not p.optional_alias else p.declaration
        for p in params[first:]
    ]
    return [*head, "*", *tail]


def _param_view(schema: Schema, param: Param) -> ParamView:
    expression = param.name if param.encode is None else f"_params.{param.encode}({param.name})"
    return ParamView(
        name=param.name,
        annotation=schema.types[param.type].python,
        default=param.default,
        wire_expression=expression,
        is_session=param.wire == "session",
        secret=param.secret,
        alias=param.alias,
        sent_when_none=param.sent_when_none,
    )


def _docstring(doc: str, params: list[Param], into: str | None, transports: list[Transport]) -> str:
    """The method's docstring: the schema's text, its arguments and where it works."""
    parts = [_fill(paragraph) for paragraph in doc.strip().split("\n\n")]
    if params:
        lines = ["Args:"]
        for param in params:
            also = "" if param.alias is None else f" Also accepted as `{param.alias}=`."
            wrapped = textwrap.wrap(
                f"{param.name}: {param.doc}{also}",
                width=DOC_WIDTH - 4,
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
            lines.extend(f"    {line}" for line in wrapped)
        parts.append("\n".join(lines))
    if into is not None:
        lines = parts.pop().splitlines() if params else ["Args:"]
        lines.extend(
            f"    {line}"
            for line in textwrap.wrap(
                INTO_DOCS[into],
                DOC_WIDTH - 4,
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
        parts.append("\n".join(lines))
    titles = ", ".join(TRANSPORT_NAMES[t] for t in transports)
    parts.append(f"Transports: {titles}.")
    return "\n\n".join(parts)


def _fill(paragraph: str) -> str:
    """A paragraph of the schema's text, re-wrapped for the generated file."""
    return textwrap.fill(" ".join(paragraph.split()), width=DOC_WIDTH, break_on_hyphens=False)
