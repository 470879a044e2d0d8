"""The sandbox that runs the Python of process models: an allowlist of syntax, names and methods, with loops,
sizes and time bounded.

Conditions, scripts, timer expressions and DMN cells are code written by administrators. Run with ``eval`` and
all builtins, a taken-over admin account would be code execution on the server, so this module parses the
code, refuses whatever is not on the lists below (``problems``: the same check at upload and at run time), and
compiles what is left with guards: every loop iteration counts against a step budget and a deadline (checked
in the running thread, so it works in a gunicorn worker thread where signals cannot reach), and the operators
that make big values (``+ * ** << %``) and ``range`` refuse results past a size. It imports no SpiffWorkflow:
``engine.py`` plugs it into the script engine.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import operator
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import CodeType
from typing import Any

MAX_STEPS = 100_000  # loop iterations per evaluation (the shipped models need a few)
TIME_LIMIT = 2.0  # seconds per evaluation, checked every 16 loop iterations
MAX_ITEMS = 100_000  # items of a range; characters or items of one value made by + or *
MAX_MADE = 1_000_000  # characters or items made by + and * in one evaluation (a value grown in a loop)
MAX_BITS = 4_096  # an integer made by *, ** or <<

# What the code may call besides the functions the application registers (``engine.configure``).
SAFE_BUILTINS = ("abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "isinstance", "len", "list",
                 "max", "min", "range", "round", "set", "sorted", "str", "sum", "tuple", "zip")
# The only attributes: methods of the plain data (dict, list, str) a model reads. Every other attribute is
# refused, so no ``__class__``/``gi_frame`` walk reaches the interpreter's internals.
METHODS = ("append", "count", "endswith", "get", "items", "keys", "lower", "split", "startswith", "strip",
           "upper", "values")

_FILENAME = "<mã quy trình>"
_ITER, _OP = "__sandbox_iter__", "__sandbox_op__"  # injected after the check, which refuses names with "_"
_PYTHON_NAMES = frozenset(dir(builtins))
_NODES = (ast.Expression, ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Pass, ast.Break,
          ast.Continue, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Call, ast.keyword,
          ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Dict, ast.Set,
          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.JoinedStr,
          ast.FormattedValue, ast.Load, ast.Store, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_WHAT = {"Import": "lệnh import", "ImportFrom": "lệnh import", "While": "vòng lặp while (chỉ dùng for trên một "
         "danh sách hoặc một range)", "FunctionDef": "định nghĩa hàm (def)", "AsyncFunctionDef": "định nghĩa hàm "
         "(def)", "Lambda": "lambda", "ClassDef": "định nghĩa lớp (class)", "Try": "try/except", "TryStar":
         "try/except", "With": "with", "Raise": "raise", "Global": "global", "Nonlocal": "nonlocal", "Delete":
         "del", "Assert": "assert", "Return": "return", "Yield": "yield", "YieldFrom": "yield", "Await": "await",
         "NamedExpr": "toán tử :=", "Starred": "dấu * trước đối số", "Match": "match"}
_TOO_DEEP = "mã lồng nhau quá sâu (hãy tách thành nhiều câu lệnh ngắn)"
_SEQUENCES = (str, bytes, list, tuple)
_OPERATORS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_FUNCTIONS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod}


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Vietnamese thousands separator


class SandboxError(Exception):
    """Code of a process model that the sandbox refused or stopped; ``str()`` says why, in Vietnamese."""

    verdict = "Mã Python của quy trình bị từ chối"

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        where = f" (dòng {self.line})" if self.line else ""
        return f"{self.verdict}{where}: {self.reason}."


class Refused(SandboxError):
    """The code uses something outside the allowlist."""

    verdict = "Mã Python của quy trình dùng điều không được phép"


class Exhausted(SandboxError):
    """The code ran past a bound: loop steps, time, or the size of a value."""

    verdict = "Mã Python của quy trình bị dừng vì vượt giới hạn"


@dataclass(frozen=True)
class Problem:
    """Something the sandbox refuses in a piece of code, and on which line."""

    line: int
    reason: str
    column: int = 0  # where the refused part ends: an inner part is named before what is built on it


# ---------------------------------------------------------------- bounds shared by the check and the run

def _made(symbol: str, left: Any, right: Any) -> int:
    """How many characters/items ``left symbol right`` makes (0: nothing big); Exhausted past a bound."""
    made = 0
    if symbol == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            made = len(left) + len(right)
    elif symbol == "*":
        if isinstance(left, _SEQUENCES) and isinstance(right, int):
            made = len(left) * max(right, 0)
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            made = len(right) * max(left, 0)
        elif isinstance(left, int) and isinstance(right, int):
            _bits(symbol, left.bit_length() + right.bit_length())
    elif symbol == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
            _bits(symbol, left.bit_length() * right)
    elif symbol == "<<":
        if isinstance(left, int) and isinstance(right, int) and left and right > 0:
            _bits(symbol, left.bit_length() + right)
    elif symbol == "%" and isinstance(left, (str, bytes)):  # "%999999999d" % 1 makes a gigabyte
        raise Refused("không được định dạng chuỗi bằng “%” (hãy dùng f-string)")
    if made > MAX_ITEMS:
        raise Exhausted(f"phép “{symbol}” tạo giá trị quá lớn ({_number(made)} phần tử, tối đa {_number(MAX_ITEMS)})")
    return made


def _bits(symbol: str, bits: int) -> None:
    if bits > MAX_BITS:
        raise Exhausted(f"phép “{symbol}” tạo số nguyên quá lớn (hơn {_number(MAX_BITS)} bit)")


def _range(*args: int) -> range:
    made = range(*args)
    try:
        size = len(made)
    except OverflowError:
        size = MAX_ITEMS + 1
    if size > MAX_ITEMS:
        raise Exhausted(f"range quá lớn (tối đa {_number(MAX_ITEMS)} phần tử)")
    return made


def _sum(values: Iterable[Any], start: int | float = 0) -> Any:
    if not isinstance(start, (int, float)):  # sum(lists, []) would concatenate quadratically in C
        raise Refused("sum chỉ cộng các số")
    return sum(values, start)


_BUILTINS = {name: getattr(builtins, name) for name in SAFE_BUILTINS} | {"range": _range, "sum": _sum}


class _Budget:
    """The bounds of one evaluation: loop steps, characters/items made, and a deadline."""

    __slots__ = ("deadline", "made", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.made = 0
        self.deadline = time.monotonic() + TIME_LIMIT

    def iterate(self, values: Iterable[Any]) -> Iterator[Any]:
        for value in values:
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise Exhausted(f"vòng lặp chạy quá {_number(MAX_STEPS)} lượt")
            if not self.steps % 16 and time.monotonic() > self.deadline:  # the clock costs more than a step
                raise Exhausted(f"chạy quá {TIME_LIMIT:g} giây".replace(".", ","))
            yield value

    def operate(self, symbol: str, left: Any, right: Any) -> Any:
        self.made += _made(symbol, left, right)
        if self.made > MAX_MADE:
            raise Exhausted(f"tạo quá {_number(MAX_MADE)} phần tử trong một lần chạy")
        return _FUNCTIONS[symbol](left, right)


# ---------------------------------------------------------------- the check (upload and run time)

class _NotConstant(Exception):
    pass


def _constant(node: ast.AST) -> Any:
    """The value of an expression made of literals only, computed under the same size bounds as at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _constant(node.operand)
        if isinstance(value, (int, float)):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _constant(node.left), _constant(node.right)
        symbol = _OPERATORS[type(node.op)]
        _made(symbol, left, right)
        try:
            return _FUNCTIONS[symbol](left, right)
        except (ArithmeticError, TypeError, ValueError):
            raise _NotConstant from None
    raise _NotConstant


def _loop_size(node: ast.AST) -> int:
    """How many times a loop over ``node`` runs, when the code says it (a range of literals, a literal list)."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return len(node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
            and not node.keywords:
        try:
            return len(range(*[_constant(a) for a in node.args]))
        except (_NotConstant, SandboxError, TypeError, ValueError):
            return 1
        except OverflowError:
            return MAX_STEPS + 1
    return 1  # a loop over data: bounded by the data, and by the step budget at run time


class _Checker(ast.NodeVisitor):
    """Collects every use of something outside the allowlist, and loops or literals past the bounds."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.runs = 1  # how many times the enclosing literal-bounded loops run the current line

    def _refuse(self, node: ast.AST, reason: str) -> None:
        self.problems.append(Problem(getattr(node, "lineno", 1), reason, getattr(node, "end_col_offset", 0) or 0))

    def generic_visit(self, node: ast.AST) -> None:
        if not isinstance(node, _NODES):
            name = type(node).__name__
            self._refuse(node, f"không được dùng {_WHAT.get(name, f'cú pháp “{name}”')}")
            return
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            self._refuse(node, f"không được dùng tên “{node.id}” (tên bắt đầu bằng “_”)")
        elif node.id in _PYTHON_NAMES and node.id not in SAFE_BUILTINS:
            self._refuse(node, f"không được dùng “{node.id}” (chỉ dùng dữ liệu của hồ sơ, các hàm đã đăng ký "
                               f"và: {', '.join(SAFE_BUILTINS)})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr not in METHODS or not isinstance(node.ctx, ast.Load):
            self._refuse(node, f"không được dùng thuộc tính “.{node.attr}” (chỉ dùng: "
                               f"{', '.join('.' + m for m in METHODS)})")
        self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if not (isinstance(target, ast.Name) or isinstance(target, ast.Subscript) and isinstance(
                target.value, ast.Name) and isinstance(target.slice, (ast.Name, ast.Constant))):
            self._refuse(node, "phép gán kết hợp (+=, …) chỉ dùng cho một biến hoặc một phần tử d[khóa]")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            text = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
            if not all(isinstance(p, ast.Constant) for p in parts) or re.search(r"\d{4}", text):
                self._refuse(node, "định dạng trong f-string phải là hằng, độ rộng dưới 1.000 ký tự")
        self.visit(node.value)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        try:
            _constant(node)
        except SandboxError as exc:
            self._refuse(node, exc.reason)
        except _NotConstant:
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "range" and _loop_size(node) > MAX_ITEMS:
            self._refuse(node, f"range quá lớn (tối đa {_number(MAX_ITEMS)} phần tử)")
        self.generic_visit(node)

    def _loop(self, node: ast.AST, iterable: ast.AST, body: list[ast.AST]) -> None:
        outer = self.runs
        self.runs *= _loop_size(iterable)
        if self.runs > MAX_STEPS >= outer:
            self._refuse(node, f"các vòng lặp chạy tới {_number(self.runs)} lượt, quá giới hạn "
                               f"{_number(MAX_STEPS)} lượt")
        for child in body:
            self.visit(child)
        self.runs = outer

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.target)
        self.visit(node.iter)
        self._loop(node, node.iter, [*node.body, *node.orelse])

    def _comprehension(self, node: ast.AST, results: list[ast.AST]) -> None:
        outer = self.runs
        for generator in node.generators:
            self.visit(generator.target)
            self.visit(generator.iter)
            self.runs *= _loop_size(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        if self.runs > MAX_STEPS >= outer:
            self._refuse(node, f"các vòng lặp chạy tới {_number(self.runs)} lượt, quá giới hạn "
                               f"{_number(MAX_STEPS)} lượt")
        for result in results:
            self.visit(result)
        self.runs = outer

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])


def _parse(source: str, mode: str) -> ast.AST:
    # eval() forgives the spaces before an expression (SpiffWorkflow's conditions have them); ast.parse does not
    return ast.parse(source.lstrip(" \t") if mode == "eval" else source, _FILENAME, mode)


def problems(source: str, mode: str = "exec") -> list[Problem]:
    """Everything in ``source`` (``mode``: "eval" for an expression, "exec" for a script) that the sandbox
    refuses; a syntax error raises SyntaxError."""
    checker = _Checker()
    try:
        checker.visit(_parse(source, mode))
    except (RecursionError, MemoryError):  # the parser's depth, or this checker's: no model nests so deep
        return [Problem(1, _TOO_DEEP)]
    return sorted(checker.problems, key=lambda p: (p.line, p.column))


# ---------------------------------------------------------------- compiling with guards, and running

class _Guard(ast.NodeTransformer):
    """Rewrites checked code so that loops count their steps and the size-making operators check sizes."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        symbol = _OPERATORS.get(type(node.op))
        return node if symbol is None else ast.copy_location(_call(_OP, ast.Constant(symbol), node.left,
                                                                   node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        symbol = _OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        current = copy.deepcopy(node.target)
        current.ctx = ast.Load()
        return ast.copy_location(ast.Assign([node.target], _call(_OP, ast.Constant(symbol), current, node.value)),
                                 node)

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.iter = ast.copy_location(_call(_ITER, node.iter), node.iter)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = ast.copy_location(_call(_ITER, node.iter), node.iter)
        return node


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


@functools.lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> CodeType:
    """The guarded code of a checked source; Refused with the first problem. Cached: a model's few
    expressions run on every step."""
    found = problems(source, mode)
    if found:
        raise Refused(found[0].reason, found[0].line)
    try:
        return compile(ast.fix_missing_locations(_Guard().visit(_parse(source, mode))), _FILENAME, mode)
    except (RecursionError, MemoryError):
        raise Refused(_TOO_DEEP) from None


def _scope(names: dict[str, Any], budget: _Budget) -> dict[str, Any]:
    return {**names, "__builtins__": _BUILTINS, _ITER: budget.iterate, _OP: budget.operate}


def _run(code: CodeType, scope: dict[str, Any]) -> Any:
    try:
        return eval(code, scope)  # noqa: S307 - checked and guarded code, restricted builtins
    except SandboxError as exc:
        tb, line = exc.__traceback__, None
        while tb is not None:  # the innermost line of the model's code that was running
            if tb.tb_frame.f_code.co_filename == _FILENAME:
                line = tb.tb_lineno
            tb = tb.tb_next
        exc.line = exc.line or line
        raise


def evaluate(expression: str, names: dict[str, Any]) -> Any:
    """The value of an expression of a model, with ``names`` (task data, registered functions) in scope."""
    return _run(_compiled(expression, "eval"), _scope(names, _Budget()))


def execute(script: str, data: dict[str, Any], functions: dict[str, Any]) -> None:
    """Run a script of a model: the variables it sets (not functions) are written back into ``data``."""
    scope = _scope({**functions, **data}, _Budget())
    _run(_compiled(script, "exec"), scope)
    for key, value in scope.items():
        if key not in functions and not key.startswith("__") and not callable(value):
            data[key] = value
