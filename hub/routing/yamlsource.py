"""Load YAML keeping the line of every value, so config errors can name file and line."""

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

_Model = TypeVar("_Model", bound=BaseModel)

#: A path into the loaded document, e.g. ("message_types", "FamilyReferral", "senders", 0).
YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSource:
    """A loaded YAML document and the 1-based line where each path starts."""

    file: Path
    data: object
    lines: dict[YamlPath, int]

    def line_of(self, path: YamlPath) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


class ConfigInvalid(ValueError):
    """A configuration file is wrong; the message names the file, the line and the reason."""

    def __init__(self, file: Path, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason


def validated(source: YamlSource, model: type[_Model]) -> _Model:
    """``source``'s document as ``model``.

    Raises:
        ConfigInvalid: naming the line of the first wrong value and what is wrong.
    """
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt key shows up as "extra" and as "missing": name the one in the file.
        first = next((e for e in errors if tuple(e["loc"]) in source.lines), errors[0])
        path = tuple(first["loc"])
        where = ".".join(str(part) for part in path) or "document"
        raise ConfigInvalid(source.file, source.line_of(path), f"{where}: {first['msg']}") from exc


def load_yaml(file: Path) -> YamlSource:
    """Parse ``file`` safely (no tags, no Python objects) and record each node's line.

    Raises:
        ConfigInvalid: the file is not valid YAML.
    """
    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigInvalid(file, line, exc.problem or "invalid YAML") from exc
    lines: dict[YamlPath, int] = {}
    data = _to_python(root, (), lines) if root is not None else None
    return YamlSource(file=file, data=data, lines=lines)


def _to_python(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> object:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping: dict[object, object] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            mapping[key] = _to_python(value_node, (*path, str(key)), lines)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> object:
    # The safe constructor resolves ints, bools and nulls exactly as yaml.safe_load would.
    return yaml.SafeLoader("").construct_object(node)
