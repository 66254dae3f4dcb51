"""Reading the YAML and JSON users write in files and variables (experiments, freshness targets), bounded.

A declaration is small: anything larger than its limit, nested deeper than a person
writes, or built from YAML anchors and aliases (a few hundred bytes of nested aliases
expand to gigabytes) is refused before it is built. Duplicate keys are errors (YAML and
JSON both keep the last one silently), and so is a value YAML cannot construct, such as
the date 2026-13-45: each error is a DeclarationError naming the source and line, so
the task fails at once instead of being retried, and its message stays short.

YAML comes back with every mapping carrying `__line__` (its own line) and `__lines__`
(the line of each key), for the readers' messages.

Ours, on PyYAML's composer: no YAML library refuses aliases before expanding them, bounds
depth, or reports duplicate keys and line numbers with values withheld.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.error import Mark

from socialpulse.errors import DeclarationError, Name, describe
from socialpulse.typing_aliases import JsonObject

MAX_DECLARATION_BYTES = 256 * 1024  # a file or variable of declarations; hundreds of entries fit in a tenth of it
MAX_DEPTH = 12  # nesting of mappings and lists
# What a value YAML could not construct probably is, by its tag.
_CONSTRUCT_HINTS = {
    "timestamp": "a date or time that does not exist: write YYYY-MM-DD with a real month and day",
    "int": "a whole number too long to read",
    "float": "a number that cannot be read",
}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")  # what PyYAML's problems quote of the input (a tag, a character)


def _check_size(text: str | bytes, source: str, limit: int) -> str:
    data = text.encode() if isinstance(text, str) else text
    if len(data) > limit:
        raise DeclarationError(
            "{source}: {size} bytes, more than the {limit} a declaration may have: split it or "
            "keep only what is in use",
            source=Name(source),
            size=len(data),
            limit=limit,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DeclarationError(
            "{source}: not UTF-8 text (byte {byte})", source=Name(source), byte=error.start
        ) from None


def read_declaration_file(path: Path, limit: int = MAX_DECLARATION_BYTES) -> str:
    """A declaration file's text, read no further than its limit."""
    with path.open("rb") as handle:
        return _check_size(handle.read(limit + 1), str(path), limit)


def _line(node: yaml.Node | yaml.Event) -> int:
    return cast(Mark, node.start_mark).line + 1  # the pure-Python loader marks every node and event


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or deep nesting, refusing duplicate keys, with line numbers kept."""

    source = "declaration"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def fail(self, mark: yaml.Node | yaml.Event, template: str, **facts: object) -> DeclarationError:
        return DeclarationError("{source}:{line}: " + template, source=Name(self.source), line=_line(mark), **facts)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves Parser.peek_event unannotated
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self.fail(
                event, "YAML anchors and aliases (& and *) are not allowed in a declaration: write each value out"
            )
        nests = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
        self._depth += nests
        if self._depth > MAX_DEPTH:
            raise self.fail(event, "nested more than {depth} levels deep", depth=MAX_DEPTH)
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # stubs say int; PyYAML also passes a key node or None
        finally:
            self._depth -= nests

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as error:  # an impossible date, a number past Python's digit limit
            value = node.value if isinstance(node, yaml.ScalarNode) else None
            kind = node.tag.rsplit(":", 1)[-1]
            raise self.fail(
                node,
                "a value ({what}) cannot be read: {hint}",
                what=describe(value),
                hint=Name(_CONSTRUCT_HINTS.get(kind, f"{type(error).__name__} building a YAML {kind}")),
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        lines: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise self.fail(key_node, "a key must be text, not {what}", what=describe(key))
            if key in lines:
                raise self.fail(
                    key_node,
                    "a key is repeated (first on line {first}): YAML would keep only the last value",
                    first=lines[key],
                )
            lines[key] = _line(key_node)
        mapping = super().construct_mapping(node, deep=True)
        mapping["__line__"] = _line(node)
        mapping["__lines__"] = lines
        return mapping


def load_yaml(text: str | bytes, source: str, limit: int = MAX_DECLARATION_BYTES) -> Any:
    """One YAML document, bounded (see the module); `source` names it in errors."""
    decoded = _check_size(text, source, limit)
    loader = None
    try:
        loader = _BoundedLoader(decoded)  # its reader refuses control characters already
        loader.source = source
        return loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else decoded.count("\n", 0, getattr(error, "position", 0)) + 1
        raise DeclarationError(
            "{source}:{line}: not valid YAML: {problem}",
            source=Name(source),
            line=line,
            problem=Name(_QUOTED.sub("'...'", str(getattr(error, "problem", None) or type(error).__name__))),
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def _no_duplicates(source: str) -> Callable[[list[tuple[str, Any]]], JsonObject]:
    def pairs_hook(pairs: list[tuple[str, Any]]) -> JsonObject:
        keys = [k for k, _ in pairs]
        if len(set(keys)) < len(keys):
            raise DeclarationError(
                "{source}: a key is repeated in one object: JSON would keep only the last value", source=Name(source)
            )
        return dict(pairs)

    return pairs_hook


def load_json(text: str | bytes, source: str, limit: int = MAX_DECLARATION_BYTES) -> Any:
    """One JSON value, bounded in size and depth, duplicate keys refused; `source` names it in errors."""
    decoded = _check_size(text, source, limit)
    try:
        value = json.loads(decoded, object_pairs_hook=_no_duplicates(source))
    except json.JSONDecodeError as error:
        raise DeclarationError(
            "{source}:{line}: not JSON ({problem})", source=Name(source), line=error.lineno, problem=Name(error.msg)
        ) from None
    except (RecursionError, ValueError) as error:  # nested past Python's stack; a number past its digit limit
        raise DeclarationError(
            "{source}: {problem}",
            source=Name(source),
            problem=Name(
                "nested too deeply to be a declaration"
                if isinstance(error, RecursionError)
                else "a number too long to read"
            ),
        ) from None
    if _depth(value) > MAX_DEPTH:
        raise DeclarationError("{source}: nested more than {depth} levels deep", source=Name(source), depth=MAX_DEPTH)
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest
