"""YAML reading that turns every failure into a Problem with a line number.

Files are parsed once, with libyaml (PyYAML's C parser) where it is installed:
the node tree it builds carries the line of every key, so messages can name
file and line without a second pass, and the data is constructed from the
same nodes.
"""

from __future__ import annotations

from typing import Any

import yaml

from .problems import ContentError, Problem

# libyaml is about 15 times faster than the pure-Python parser on the competency files.
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate keys instead of silently keeping the last."""


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: the constructor below names it
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {first + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _problem(exc: yaml.YAMLError, text: str, path: str, first_line: int) -> ContentError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    # libyaml puts the end of a text without a final newline on the line after it; name the last line.
    line = first_line + min(mark.line, text.count("\n")) if mark is not None else first_line
    problem = getattr(exc, "problem", None) or str(exc)
    return ContentError([Problem(path, line, "error", f"invalid YAML: {problem}")])


def load_yaml_with_lines(text: str, path: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse YAML text once: (data, file line of each top-level key); ``first_line`` is where the text starts."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {}
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                lines.setdefault(str(key_node.value), first_line + key_node.start_mark.line)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise _problem(exc, text, path, first_line) from None
    finally:
        loader.dispose()
    return data, lines


def load_yaml(text: str, path: str, first_line: int = 1) -> Any:
    """Parse YAML text; ``first_line`` is the file line the text starts on."""
    return load_yaml_with_lines(text, path, first_line)[0]


def key_lines(text: str, first_line: int = 1) -> dict[str, int]:
    """Map each top-level key of a YAML mapping to the file line it stands on."""
    try:
        return load_yaml_with_lines(text, "", first_line)[1]
    except ContentError:
        return {}
