"""The refusals an API operation can answer with, read from the code itself, so the document
cannot drift from the services: every RuleError raised, api_error returned or HTTP error
aborted by the view, the decorators around it, and the project's functions they call."""

import ast
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
RATE_LIMITED = ("flask_limiter",)


@dataclass(frozen=True, order=True)
class Refusal:
    status: int
    code: str


def refusals_of(view) -> set[Refusal]:
    """What the view, and everything it wraps and calls in this project, may refuse with."""
    found: set[Refusal] = set()
    seen: set = set()
    function = view
    while function is not None:
        if _is_rate_limiter(function):
            found.add(Refusal(429, HTTP_CODES[429]))
        _collect(function, found, seen)
        function = getattr(function, "__wrapped__", None)
    return found


def _is_rate_limiter(function) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and any(part in code.co_filename for part in RATE_LIMITED)


def _in_project(function) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and Path(code.co_filename).is_relative_to(PROJECT)


def _collect(function, found: set[Refusal], seen: set) -> None:
    if not isinstance(function, FunctionType) or not _in_project(function):
        return
    if function.__code__ in seen:
        return
    seen.add(function.__code__)
    tree = _syntax_of(function)
    if tree is None:
        return
    names = {**function.__globals__, **inspect.getclosurevars(function).nonlocals}
    for node in _calls_in_body(tree):
        callee = _resolve(node.func, names)
        refusal = _refusal_made_by(callee, node)
        if refusal is not None:
            found.add(refusal)
        elif isinstance(callee, FunctionType):
            _collect(callee, found, seen)


def _calls_in_body(tree: ast.AST):
    # A function's own decorators are followed through __wrapped__, not read as calls: the
    # decorator factory's code runs once, at import.
    statements = tree.body
    if len(statements) == 1 and isinstance(statements[0], ast.FunctionDef | ast.AsyncFunctionDef):
        statements = statements[0].body
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                yield node


@cache
def _source_tree(code) -> ast.AST | None:
    try:
        lines, _ = inspect.findsource(code)
        block = inspect.getblock(lines[code.co_firstlineno - 1 :])
        return ast.parse(textwrap.dedent("".join(block)))
    except (OSError, SyntaxError, IndentationError):
        return None


def _syntax_of(function: FunctionType) -> ast.AST | None:
    # A lambda's block is the whole line it sits on, which may not parse on its own: then
    # its calls are read with the function that holds it.
    return _source_tree(function.__code__)


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


def _refusal_made_by(callee, call: ast.Call) -> Refusal | None:
    if isinstance(callee, type) and issubclass(callee, RuleError):
        return _rule_error(callee, call)
    if callee is api_error:
        return _from_arguments(api_error, call)
    if callee is flask_abort or callee is werkzeug_abort:
        status = _constant(call.args[0]) if call.args else None
        if isinstance(status, int):
            return Refusal(status, HTTP_CODES.get(status, "error"))
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
