"""A small expression language for mappings, evaluated on whole columns: nothing but columns, constants,
arithmetic, comparisons, and/or/not, and a fixed list of functions (no attributes, no imports, no code)."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

MAX_LENGTH = 2000
MAX_TEXT = 4 << 20  # characters of one computed text
ROW = "_row"
ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
COMPARISONS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
               ast.Gt: operator.gt, ast.GtE: operator.ge}
REFUSED = {ast.Attribute: "attribute access (a.b) is", ast.Subscript: "subscripts (a[b]) are",
           ast.Lambda: "lambda is", ast.JoinedStr: "f-strings are", ast.FormattedValue: "f-strings are",
           ast.ListComp: "comprehensions are", ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
           ast.GeneratorExp: "comprehensions are", ast.List: "lists are", ast.Tuple: "tuples are",
           ast.Set: "sets are", ast.Dict: "dicts are", ast.Starred: "*arguments are", ast.NamedExpr: ":= is",
           ast.IfExp: "`a if c else b` is (use if_else(c, a, b))", ast.Await: "await is", ast.Yield: "yield is",
           ast.YieldFrom: "yield is", ast.Slice: "slices are"}
Number = Callable[[pd.Series], pd.Series]


class ExpressionError(ValueError):
    """An expression uses something the language does not have, or cannot be computed on the data."""


def _to_number(series: pd.Series) -> pd.Series:
    """Plain text to numbers (empty when not a number)."""
    text = series.astype("string").str.strip()
    return pd.Series(pd.to_numeric(text, errors="coerce"), index=series.index).astype("float64")


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its syntax tree, and the `quoted column` names it uses."""

    text: str
    source: str
    tree: ast.expr
    quoted: dict[str, str]

    def part(self, node: ast.AST) -> str:
        """The text of one node, with `quoted` names written back as the user wrote them."""
        segment = ast.get_source_segment(self.source, node) or ast.dump(node)
        for placeholder, name in self.quoted.items():
            segment = segment.replace(placeholder, f"`{name}`")
        return segment

    def column(self, name: str) -> str:
        """The source column a name stands for."""
        return self.quoted.get(name, name)

    @property
    def columns(self) -> set[str]:
        """Source columns the expression reads."""
        calls = {id(n.func) for n in ast.walk(self.tree) if isinstance(n, ast.Call)}
        return {self.column(n.id) for n in ast.walk(self.tree)
                if isinstance(n, ast.Name) and id(n) not in calls and n.id != ROW}


def _unquote(text: str) -> tuple[str, dict[str, str]]:
    """Replace each `quoted name` (outside string literals) by a placeholder identifier."""
    prefix = "_q"
    while prefix in text:
        prefix += "q"
    out, quoted, quote, i = [], {}, None, 0
    while i < len(text):
        ch = text[i]
        if quote is None and ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ExpressionError(f"unclosed ` in {text[i:]!r}")
            placeholder = f"{prefix}{len(quoted)}_"
            quoted[placeholder] = text[i + 1:end]
            out.append(placeholder)
            i = end + 1
            continue
        if ch in "'\"":
            quote = None if quote == ch else (ch if quote is None else quote)
        elif ch == "\\" and quote is not None:
            out.append(text[i:i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), quoted


def parse(text: str) -> Expression:
    """Parse and check an expression; ExpressionError names the first part that is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    source, quoted = _unquote(text.strip())
    try:
        expr = Expression(text, source, ast.parse(source, mode="eval").body, quoted)
        _check(expr, expr.tree)
    except SyntaxError as exc:
        where = source[(exc.offset or 1) - 1:] if exc.offset else source
        raise ExpressionError(f"not a valid expression ({exc.msg}) at {where!r}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        if isinstance(exc, ExpressionError):
            raise
        raise ExpressionError("the expression is too deeply nested") from None
    return expr


def is_template(text: str) -> bool:
    """True for a text template such as "{First Name} {Last Name}", rather than an expression."""
    if not re.search(r"{[^{}]+}", text):
        return False
    try:
        tree = ast.parse(_unquote(text.strip())[0], mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return any(isinstance(n, (ast.Set, ast.Dict)) for n in ast.walk(tree))


def template_fields(text: str) -> list[str]:
    """The column names a text template fills in."""
    return re.findall(r"{([^{}]+)}", text)


def fill(text: str, frame: pd.DataFrame) -> pd.Series:
    """A text template filled in on every row; empty columns count as '', an all-blank result is empty."""
    missing = [f for f in template_fields(text) if f not in frame.columns and f != ROW]
    if missing:
        raise ExpressionError(f"unknown column{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(map(repr, missing))} in {text!r}")
    parts = [(pd.Series(frame.index.astype(str), index=frame.index) if part == ROW else frame[part])
             .astype("string").fillna("") if i % 2 else part for i, part in enumerate(re.split(r"{([^{}]+)}", text))]
    out = _joined(parts, frame.index).str.strip()
    return out.mask(out == "")


def _joined(parts: list[pd.Series | str], index: pd.Index) -> pd.Series:
    """Texts joined row by row; ExpressionError naming the rows where the result would exceed MAX_TEXT."""
    sizes = sum((p.str.len() if isinstance(p, pd.Series) else len(p) for p in parts),
                pd.Series(0, index=index, dtype="int64"))
    over = sizes.index[sizes > MAX_TEXT]
    if len(over):
        rows = ", ".join(map(str, over[:5])) + (f" and {len(over) - 5} more" if len(over) > 5 else "")
        raise ExpressionError(f"the text it builds is over {MAX_TEXT:,} characters on "
                              f"row{'s' if len(over) > 1 else ''} {rows}")
    columns = [p.tolist() if isinstance(p, pd.Series) else [p] * len(index) for p in parts]
    return pd.Series(["".join(row) for row in zip(*columns, strict=True)] if columns else "", index=index,
                     dtype="string")


def _check(expr: Expression, node: ast.AST) -> None:
    """Refuse every node outside the language."""
    refuse = _refusal(expr, node)
    if refuse:
        raise ExpressionError(f"{refuse} in {expr.part(node)!r}")
    children = node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node)
    for child in children:
        if not isinstance(child, (ast.operator, ast.cmpop, ast.boolop, ast.unaryop, ast.expr_context)):
            _check(expr, child)


def _refusal(expr: Expression, node: ast.AST) -> str | None:
    """Why a node is not allowed, or None when it is."""
    if type(node) in REFUSED:
        return REFUSED[type(node)].replace(" is", " is not allowed", 1).replace(" are", " are not allowed", 1)
    if isinstance(node, ast.Constant):
        ok = node.value is None or isinstance(node.value, (bool, int, float, str))
        return None if ok else f"constant {node.value!r} is not allowed (numbers, 'text', True, False, None)"
    if isinstance(node, ast.Name):
        return "names with double underscores are not allowed" if node.id.startswith("__") else None
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in ARITHMETIC else f"operator {type(node.op).__name__} is not allowed"
    if isinstance(node, ast.UnaryOp):
        allowed = (ast.USub, ast.UAdd, ast.Not)
        return None if isinstance(node.op, allowed) else f"operator {type(node.op).__name__} is not allowed"
    if isinstance(node, ast.Compare):
        bad = [type(op).__name__ for op in node.ops if type(op) not in COMPARISONS]
        return f"comparison {bad[0]} is not allowed (== != < <= > >=)" if bad else None
    if isinstance(node, ast.BoolOp):
        return None
    if isinstance(node, ast.Call):
        return _call_refusal(node)
    return f"{type(node).__name__} is not allowed"


def _call_refusal(node: ast.Call) -> str | None:
    """Why a function call is not allowed, or None when it is."""
    if not isinstance(node.func, ast.Name):
        return "only the named functions can be called"
    name = node.func.id
    if name not in FUNCTIONS:
        return f"unknown function '{name}' (functions: {', '.join(sorted(FUNCTIONS))})"
    if node.keywords:
        return f"keyword arguments are not supported; write {name}(a, b) with plain arguments"
    low, high = FUNCTIONS[name][1:]
    if len(node.args) < low or (high is not None and len(node.args) > high):
        wanted = f"{low}" if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
        return f"{name}() takes {wanted} argument{'s' if high != 1 else ''}, not {len(node.args)}"
    if name in TEXT_SECOND and not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
        return f"the second argument of {name}() must be a 'quoted text'"
    if name == "round" and len(node.args) == 2 and not (
            isinstance(node.args[1], ast.Constant) and type(node.args[1].value) is int):
        return "the second argument of round() must be a whole number of digits"
    return None


def evaluate(expr: Expression, frame: pd.DataFrame, number: Number = _to_number) -> pd.Series:
    """The expression computed on every row of a frame of source columns (index: spreadsheet rows)."""
    missing = sorted(expr.columns - set(frame.columns))
    if missing:
        raise ExpressionError(f"unknown column{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(map(repr, missing))} in {expr.text!r}")
    try:
        with np.errstate(all="ignore"):
            return _Eval(expr, frame, number).value(expr.tree)
    except ExpressionError:
        raise
    except RecursionError:
        raise ExpressionError(f"{expr.text!r} is too deeply nested") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ExpressionError(f"{expr.text!r} cannot be computed on this data: {exc}") from None


def condition(expr: Expression, frame: pd.DataFrame, number: Number = _to_number) -> pd.Series:
    """The expression as a True/False mask (empty counts as False)."""
    return _Eval(expr, frame, number).truth(evaluate(expr, frame, number), expr.tree)


def blank(s: pd.Series) -> pd.Series:
    """True where a value is missing or only spaces."""
    text = s.astype("string").str.strip()
    return (s.isna() | (text == "")).fillna(True).astype(bool)


def _format(value: object) -> str:
    """A value as text; whole numbers without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(s: pd.Series) -> pd.Series:
    """Values as text (missing stays missing)."""
    if is_numeric_dtype(s) or s.dtype == object:
        s = s.map(_format, na_action="ignore")
    return s.astype("string")


class _Eval:
    """Walk a checked tree, turning every node into a column (a Series on the frame's index)."""

    def __init__(self, expr: Expression, frame: pd.DataFrame, number: Number):
        self.expr, self.frame, self.number = expr, frame, number

    def value(self, node: ast.expr) -> pd.Series:
        """The column a node computes."""
        index = self.frame.index
        if isinstance(node, ast.Constant):
            return pd.Series([node.value] * len(index), index=index,
                             dtype=object if node.value is None or isinstance(node.value, str) else None)
        if isinstance(node, ast.Name):
            if node.id == ROW:
                return pd.Series(index.to_numpy(), index=index, dtype="float64")
            return self.frame[self.expr.column(node.id)]
        if isinstance(node, ast.BinOp):
            left, right = self.num(node.left), self.num(node.right)
            result = ARITHMETIC[type(node.op)](left, right)
            by_zero = isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)) & (right == 0)
            overflow = np.isinf(result) & np.isfinite(left) & np.isfinite(right) & ~by_zero
            if overflow.any():
                rows = ", ".join(map(str, result.index[overflow][:5]))
                raise ExpressionError(f"{self.expr.part(node)!r} gives a number too large to hold on row(s) {rows}")
            return result.replace([np.inf, -np.inf], np.nan)  # a division by zero is empty
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ~self.truth(self.value(node.operand), node.operand)
            return -self.num(node.operand) if isinstance(node.op, ast.USub) else self.num(node.operand)
        if isinstance(node, ast.BoolOp):
            masks = [self.truth(self.value(v), v) for v in node.values]
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            out = masks[0]
            for mask in masks[1:]:
                out = combine(out, mask)
            return out
        if isinstance(node, ast.Compare):
            return self.compare(node)
        return FUNCTIONS[node.func.id][0](self, node.args)

    def num(self, node: ast.expr) -> pd.Series:
        """A node's column as numbers."""
        return self.as_number(self.value(node))

    def as_number(self, s: pd.Series) -> pd.Series:
        """A column as numbers: text is read with the table's decimal and thousands separators."""
        if is_bool_dtype(s) or is_numeric_dtype(s):
            return s.astype("float64")
        return self.number(s)

    def truth(self, s: pd.Series, node: ast.expr) -> pd.Series:
        """A column as True/False; text is refused, it has no truth value."""
        if is_bool_dtype(s):
            return s.fillna(False).astype(bool)
        if is_numeric_dtype(s):
            return (s.fillna(0) != 0).astype(bool)
        if s.isna().all():
            return pd.Series(False, index=s.index)
        raise ExpressionError(f"{self.expr.part(node)!r} is text, not a condition; compare it, "
                              f"e.g. {self.expr.part(node)} == 'yes'")

    def compare(self, node: ast.Compare) -> pd.Series:
        """Chained comparisons, as numbers when either side is a number, else as text; an empty value
        equals nothing, so it is != everything."""
        left = self.value(node.left)
        out = pd.Series(True, index=self.frame.index)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.value(right_node)
            numeric = any(is_numeric_dtype(x) and not is_bool_dtype(x) for x in (left, right))
            a, b = (self.as_number(left), self.as_number(right)) if numeric else (_text(left), _text(right))
            out &= COMPARISONS[type(op)](a, b).fillna(isinstance(op, ast.NotEq)).astype(bool)
            left = right
        return out

    def text_test(self, args: list[ast.expr], method: str) -> pd.Series:
        """startswith / endswith / contains with a constant text."""
        text = _text(self.value(args[0])).str
        found = text.contains(args[1].value, regex=False) if method == "contains" else \
            getattr(text, method)(args[1].value)
        return found.fillna(False).astype(bool)

    def extreme(self, args: list[ast.expr], how: str) -> pd.Series:
        """Row-wise min or max of numbers, ignoring empty values."""
        frame = pd.concat([self.num(a) for a in args], axis=1)
        return frame.min(axis=1) if how == "min" else frame.max(axis=1)

    def alike(self, args: list[ast.expr]) -> list[pd.Series]:
        """Columns made comparable: all numbers when any of them is a number, else all as they are."""
        values = [self.value(a) for a in args]
        if any(is_numeric_dtype(v) and not is_bool_dtype(v) for v in values):
            return [self.as_number(v) for v in values]
        return [v.astype(object) for v in values]

    def pick(self, args: list[ast.expr]) -> pd.Series:
        """if_else(condition, then, else)."""
        mask = self.truth(self.value(args[0]), args[0])
        a, b = self.alike(args[1:])
        return a.where(mask, b)

    def coalesce(self, args: list[ast.expr]) -> pd.Series:
        """The first value that is not blank, left to right."""
        first, *rest = self.alike(args)
        for value in rest:
            first = first.where(~blank(first), value)
        return first.where(~blank(first), None) if first.dtype == object else first

    def concat(self, args: list[ast.expr]) -> pd.Series:
        """Values joined as text; empty values count as ''."""
        return _joined([_text(self.value(arg)).fillna("") for arg in args], self.frame.index)


TEXT_SECOND = {"startswith", "endswith", "contains"}
FUNCTIONS: dict[str, tuple[Callable[[_Eval, list[ast.expr]], pd.Series], int, int | None]] = {
    "coalesce": (_Eval.coalesce, 1, None),
    "if_else": (_Eval.pick, 3, 3),
    "abs": (lambda e, a: e.num(a[0]).abs(), 1, 1),
    "round": (lambda e, a: e.num(a[0]).round(a[1].value if len(a) > 1 else 0), 1, 2),
    "min": (lambda e, a: e.extreme(a, "min"), 2, None),
    "max": (lambda e, a: e.extreme(a, "max"), 2, None),
    "lower": (lambda e, a: _text(e.value(a[0])).str.lower(), 1, 1),
    "upper": (lambda e, a: _text(e.value(a[0])).str.upper(), 1, 1),
    "strip": (lambda e, a: _text(e.value(a[0])).str.strip(), 1, 1),
    "startswith": (lambda e, a: e.text_test(a, "startswith"), 2, 2),
    "endswith": (lambda e, a: e.text_test(a, "endswith"), 2, 2),
    "contains": (lambda e, a: e.text_test(a, "contains"), 2, 2),
    "isblank": (lambda e, a: blank(e.value(a[0])), 1, 1),
    "number": (lambda e, a: e.num(a[0]), 1, 1),
    "concat": (_Eval.concat, 1, None),
}
