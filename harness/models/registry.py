"""The model registry: declarative adapter specs, typed parameters, and the Ranker interface.

An adapter is one module that defines a :class:`Ranker` subclass and a :class:`ModelSpec`;
``harness/models/__init__.py`` registers the spec with one line, and a separate package registers
its own through the ``harness.models`` entry point group (:mod:`harness.plugins`), read on the
first look-up. Parameters are declared, so ``harness models`` can list them and ``get_model`` can
check and coerce them (the CLI passes every ``--param`` value as a string).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import HarnessError, did_you_mean
from harness.extras import require_extra
from harness.plugins import MODELS_GROUP, PluginGroup
from harness.registry import Registry

if TYPE_CHECKING:
    from harness.datasets.records import PairTask
    from harness.evaluation.run import Run
    from harness.evaluation.score_matrix import ScoreMatrix

_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One declared parameter of an adapter. ``default=None`` means "unset": the adapter decides.

    ``origin`` says where the default comes from where a method follows a paper: the paper or its
    official code (e.g. ``"paper: Eq. 1"``), or ``"ours"`` for a choice the paper leaves open.
    """

    name: str
    type: str
    default: Any
    description: str
    origin: str | None = None

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"parameter {self.name!r}: type must be one of {', '.join(_TYPES)}, not {self.type!r}")

    def coerce(self, value: Any, model: str) -> Any:
        """``value`` as this parameter's type; strings are parsed (the CLI's ``KEY=VALUE``)."""
        if value is None and self.default is None:
            return None
        wanted = _TYPES[self.type]
        if isinstance(value, str) and wanted is not str:
            return self._parse(value, model)
        # bool is an int in Python: refuse it for numbers, and numbers for bools.
        if isinstance(value, bool) != (wanted is bool):
            raise self._error(value, model)
        if wanted is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, wanted):
            raise self._error(value, model)
        return value

    def _parse(self, text: str, model: str) -> Any:
        word = text.strip().lower()
        if word in ("none", "") and self.default is None:
            return None
        if self.type == "bool":
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise self._error(text, model)
        try:
            return _TYPES[self.type](text.strip())
        except ValueError:
            raise self._error(text, model) from None

    def _error(self, value: Any, model: str) -> HarnessError:
        return HarnessError(f"model {model!r}: parameter {self.name}={value!r} is not a {self.type}")

    def as_dict(self) -> dict[str, Any]:
        described = {"name": self.name, "type": self.type, "default": self.default, "description": self.description}
        return described if self.origin is None else {**described, "origin": self.origin}


class Ranker(ABC):
    """What every adapter offers: rank one pair's task, and describe itself for the record.

    ``describe()`` must be JSON-serialisable, independent of any task, and pin everything that
    determines the results (a submission refuses to mix runs of differently described systems).
    """

    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)
        self.data_dir: Path | None = None
        """Where adapters that train find their training data and lexicons; ``evaluate`` sets it."""

    @abstractmethod
    def rank(self, task: PairTask, *, depth: int | None = None, progress: bool = True) -> Run | ScoreMatrix:
        """Rank the task's documents for each of its queries; ``depth=None`` keeps the whole
        ranking of the pair's collection (the LAReQA protocol's AP is over every candidate).
        A dense ranker may return its score matrix: it is evaluated as is, and laid out as
        rows only when its run file is written."""

    def describe(self) -> dict[str, Any]:
        """The keys every adapter reports; adapters extend this with what pins their results."""
        return {"model": self.name, "parameters": dict(self.params), "backbone": None, "training_data": None, "seed": None}


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry: name, one-line description, declared parameters, the factory, and the
    install extra its ranking needs (:mod:`harness.extras`; ``None``: the core is enough)."""

    name: str
    description: str
    params: tuple[Param, ...]
    factory: Callable[..., Ranker]
    extra: str | None = None

    def bind(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every declared parameter, from ``given`` (coerced) or its default; unknown names raise."""
        declared = {param.name: param for param in self.params}
        for key in given:
            if key not in declared:
                known = ", ".join(declared) or "none"
                raise HarnessError(
                    f"model {self.name!r} has no parameter {key!r}; its parameters: {known}" + did_you_mean(key, declared)
                )
        return {
            name: param.coerce(given[name], self.name) if name in given else param.default for name, param in declared.items()
        }

    def make(self, **params: Any) -> Ranker:
        """A ranker of this spec with ``params`` checked against its declaration (and its extra installed)."""
        bound = self.bind(params)
        if self.extra is not None:
            require_extra(self.extra, f"model {self.name!r}")
        return self.factory(**bound)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": [p.as_dict() for p in self.params]}


_REGISTRY: Registry[ModelSpec] = Registry("model")


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` under its name (names are unique)."""
    return _REGISTRY.add(spec.name, spec)


_PLUGINS = PluginGroup(MODELS_GROUP, ModelSpec, register)


def get_spec(name: str) -> ModelSpec:
    """The registered spec ``name`` (plugins' included); unknown names raise with a did-you-mean."""
    _PLUGINS.load()
    return _REGISTRY.get(name)


def is_registered(name: str) -> bool:
    """Whether ``name`` is a registered model (plugins' included)."""
    _PLUGINS.load()
    return name in _REGISTRY


def get_model(name: str, **params: Any) -> Ranker:
    """A ranker of the registered model ``name`` with ``params`` checked against its declaration."""
    return get_spec(name).make(**params)


def all_models() -> list[dict[str, Any]]:
    """Every registered model for listings (the harness's, then plugins'): name, description, parameters (name, type, default, description)."""
    _PLUGINS.load()
    return [spec.as_dict() for spec in _REGISTRY]
