"""The refusals an API operation can answer with, read from the code itself, so the document
cannot drift from the services: every RuleError raised, api_error returned or HTTP error
aborted by the view, the decorators around it, and the project's functions they call; a
RuleError that a caller catches and deals with (does not raise, yield or return) is not a refusal
of the operation.

The reading is by names: a call is followed when it names a function of this project
(`service(...)` or `module.service(...)`), not when it calls a method of an object. Names
come from the function's module, its closure and the imports in its own body (made there to
break an import cycle)."""

import ast
import importlib.util
import inspect
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import FunctionType, ModuleType

from flask import abort as flask_abort
from werkzeug.exceptions import abort as werkzeug_abort

import training
from training.errors import HTTP_CODES, RuleError, api_error

PROJECT = Path(training.__file__).parent
RATE_LIMITER_PACKAGE = "flask_limiter"


@dataclass(frozen=True, order=True)
class Refusal:
    status: int
    code: str


# A refusal found in the code, with the RuleError class that carries it (None for an answer
# returned or aborted, which no except clause can catch).
Found = tuple[Refusal, type | None]


def refusals_of(view) -> set[Refusal]:
    """What the view, and everything it wraps and calls in this project, may refuse with."""
    reader = _Reader()
    found: set[Found] = set()
    function = view
    while function is not None:
        if _is_rate_limiter(function):
            found.add((Refusal(429, HTTP_CODES[429]), None))
        found |= reader.function(function)
        function = getattr(function, "__wrapped__", None)
    return {refusal for refusal, _ in found}


def _is_rate_limiter(function) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and RATE_LIMITER_PACKAGE in Path(code.co_filename).parts


def _in_project(function) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and Path(code.co_filename).is_relative_to(PROJECT)


class _Reader:
    """Reads functions once each; a function that calls itself back reads as nothing more."""

    def __init__(self):
        self.done: dict = {}

    def function(self, function) -> set[Found]:
        if not isinstance(function, FunctionType) or not _in_project(function):
            return set()
        code = function.__code__
        if code not in self.done:
            self.done[code] = set()
            tree = _source_tree(code)
            if tree is not None:
                names = {
                    **function.__globals__,
                    **inspect.getclosurevars(function).nonlocals,
                    **_imported_inside(tree, function.__globals__.get("__package__")),
                }
                self.done[code] = self.nodes(_body(tree), names)
        return self.done[code]

    def nodes(self, nodes, names: dict) -> set[Found]:
        found: set[Found] = set()
        for node in nodes:
            if isinstance(node, ast.Try):
                found |= self.guarded(node, names)
                continue
            if isinstance(node, ast.Call):
                callee = _resolve(node.func, names)
                made = _refusal_made_by(callee, node)
                if made is not None:
                    found.add(made)
                else:
                    found |= self.function(callee)
            found |= self.nodes(ast.iter_child_nodes(node), names)
        return found

    def guarded(self, node: ast.Try, names: dict) -> set[Found]:
        caught = tuple(
            error_class
            for handler in node.handlers
            if not _passes_on(handler)
            for error_class in _classes_caught(handler, names)
        )
        inside = self.nodes(node.body, names)
        kept = {
            (refusal, error_class)
            for refusal, error_class in inside
            if error_class is None or not issubclass(error_class, caught)
        }
        return kept | self.nodes([*node.handlers, *node.orelse, *node.finalbody], names)


def _imported_inside(tree: ast.Module, package: str | None) -> dict:
    """The names that imports within the function bind, as they will be when it runs."""
    names = {}
    for node in ast.walk(tree):
        try:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = importlib.import_module(alias.name)
                    else:
                        top = alias.name.partition(".")[0]
                        names[top] = importlib.import_module(top)
            elif isinstance(node, ast.ImportFrom):
                module_name = importlib.util.resolve_name(
                    "." * node.level + (node.module or ""), package
                )
                module = importlib.import_module(module_name)
                for alias in node.names:
                    value = getattr(module, alias.name, None)
                    if value is None:
                        value = importlib.import_module(f"{module_name}.{alias.name}")
                    names[alias.asname or alias.name] = value
        except (ImportError, ValueError):
            continue
    return names


def _body(tree: ast.Module) -> list[ast.stmt]:
    # A function's own decorators are followed through __wrapped__, not read as calls: the
    # decorator factory's code runs once, at import.
    statements = tree.body
    if len(statements) == 1 and isinstance(statements[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return statements[0].body
    return statements


@cache
def _source_tree(code) -> ast.Module | None:
    # A lambda's block is the line it sits on, which may not parse on its own: its calls are
    # then read with the function that holds it.
    try:
        lines, _ = inspect.findsource(code)
        block = inspect.getblock(lines[code.co_firstlineno - 1 :])
        return ast.parse(textwrap.dedent("".join(block)))
    except (OSError, SyntaxError, IndentationError):
        return None


def _classes_caught(handler: ast.ExceptHandler, names: dict) -> list[type]:
    if handler.type is None:
        return [BaseException]
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    classes = [_resolve(node, names) for node in nodes]
    return [c for c in classes if isinstance(c, type) and issubclass(c, BaseException)]


def _passes_on(handler: ast.ExceptHandler) -> bool:
    """Whether the handler raises the error again, or yields or returns it to its caller
    (who may raise it); one that only records it has dealt with it."""

    def is_the_error(value: ast.expr | None) -> bool:
        return isinstance(value, ast.Name) and value.id == handler.name

    for statement in handler.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Raise) and (node.exc is None or is_the_error(node.exc)):
                return True
            if isinstance(node, ast.Yield | ast.Return) and is_the_error(node.value):
                return True
    return False


def _resolve(node: ast.expr, names: dict):
    """The object an expression such as `name` or `module.name` stands for, if plain."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        if isinstance(owner, ModuleType | type):
            return getattr(owner, node.attr, None)
    return None


def _constant(node: ast.expr | None):
    return node.value if isinstance(node, ast.Constant) else None


def _refusal_made_by(callee, call: ast.Call) -> Found | None:
    if isinstance(callee, type) and issubclass(callee, RuleError):
        refusal = _rule_error(callee, call)
        return (refusal, callee) if refusal is not None else None
    if callee is api_error:
        refusal = _from_arguments(api_error, call)
        return (refusal, None) if refusal is not None else None
    if callee is flask_abort or callee is werkzeug_abort:
        status = _constant(call.args[0]) if call.args else None
        if isinstance(status, int):
            return Refusal(status, HTTP_CODES.get(status, "error")), None
    return None


def _rule_error(error_class: type[RuleError], call: ast.Call) -> Refusal | None:
    refusal = _from_arguments(error_class.__init__, call, skip_self=True)
    if refusal is not None:
        return refusal
    # A RuleError whose code and status are fixed says so as class attributes.
    code, status = getattr(error_class, "code", None), getattr(error_class, "status", None)
    if isinstance(code, str) and isinstance(status, int):
        return Refusal(status, code)
    return None


def _from_arguments(function, call: ast.Call, skip_self: bool = False) -> Refusal | None:
    """The code and status written as literals in a call to function(code, ..., status)."""
    signature = inspect.signature(function)
    try:
        arguments = signature.bind_partial(
            *([None] if skip_self else []),
            *call.args,
            **{keyword.arg: keyword.value for keyword in call.keywords if keyword.arg},
        ).arguments
    except TypeError:
        return None
    code = _constant(arguments.get("code"))
    if "status" in arguments:
        status = _constant(arguments["status"])
    else:
        parameter = signature.parameters.get("status")
        status = parameter.default if parameter is not None else None
    if isinstance(code, str) and isinstance(status, int):
        return Refusal(status, code)
    return None
