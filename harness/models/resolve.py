"""What ``harness.evaluate(model, ...)`` and ``harness eval --model`` accept as a model, made a ranker.

``model`` is one of:

- a registered adapter's name (``harness models``, plugins' included): ``"bm25"``;
- ``"package.module:object"``: the object is imported (from the installed packages, then the
  current folder, as ``python -m`` would find a module there) and taken as below;
- an object:

  - a :class:`~harness.models.registry.ModelSpec` (its declared parameters checked and coerced);
  - a :class:`~harness.models.registry.Ranker` instance (its parameters are set already), or a
    ``Ranker`` subclass, called with the parameters as given (strings, from the command line:
    declare a ``ModelSpec`` to have them typed);
  - a ``sentence_transformers.SentenceTransformer`` (:mod:`.sentence_transformer_object`);
  - a PyTerrier transformer or pipeline (:mod:`.pyterrier_ranker`);
  - any other callable: a function ``(queries, documents) -> {query_id: {doc_id: score}}``
    (:mod:`.callable_ranker`).

What a result records of the system (:meth:`ResolvedModel.system`): a registered adapter's own
description, as always; for ``package.module:object`` the adapter's description with ``model`` set
to ``python:package.module:object`` (``adapter`` keeps what it said). An object given in memory
describes itself (a function its name and source digest, a sentence-transformers model a
fingerprint of its weights, a PyTerrier transformer its repr); it has no command line that makes
it again, so its submission must be named by the caller.
"""
from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError, did_you_mean
from harness.models.registry import ModelSpec, Ranker, get_spec, is_registered
from harness.plugins import one_line

ACCEPTED = (
    "a registered model (harness models), package.module:object, a ModelSpec, a Ranker or Ranker subclass, a "
    "sentence_transformers.SentenceTransformer, a PyTerrier transformer, or a function (queries, documents) -> {query_id: {doc_id: score}}"
)


@dataclass(frozen=True)
class ResolvedModel:
    """A ranker, and what the harness knows of where it came from."""

    ranker: Ranker
    reference: str | None
    """What ``harness eval --model`` takes to make it again: a registered name or ``package.module:object``;
    ``None`` for an object given in memory."""
    label: str
    """How messages name the model: the reference, or ``<function overlap>`` for an object."""
    external: bool
    """Ranked by code outside the harness (a plugin's, a user's): its runs are checked as submitted runs are."""

    def system(self) -> dict[str, Any]:
        """The submission's ``system`` record (see the module's notes)."""
        described = self.ranker.describe()
        if self.reference is None or not is_import_path(self.reference):
            return described
        return {**described, "model": f"python:{self.reference}", "adapter": described.get("model")}


def resolve_model(model: Any, params: Mapping[str, Any] | None = None) -> ResolvedModel:
    """``model`` (see the module's notes) as a ranker with ``params``; anything else is one :class:`HarnessError`."""
    params = dict(params or {})
    if isinstance(model, str):
        if ":" in model and not is_import_path(model):
            raise HarnessError(f"--model {model}: neither a registered model nor package.module:object (each part a Python name)")
        if is_registered(model) or not is_import_path(model):
            spec = get_spec(model)
            return ResolvedModel(spec.make(**params), model, model, _outside(spec.factory))
        ranker, external = _ranker_of(import_object(model), params, model)
        return ResolvedModel(ranker, model, model, external)
    label = _label(model)
    ranker, external = _ranker_of(model, params, label)
    return ResolvedModel(ranker, None, label, external)


def is_import_path(name: str) -> bool:
    """Whether ``name`` has the form ``package.module:object`` (registered names have no colon)."""
    module, colon, attribute = name.partition(":")
    return bool(colon) and all(part.isidentifier() for part in [*module.split("."), *attribute.split(".")])


def import_object(reference: str) -> Any:
    """The object ``package.module:object`` names (``object`` may be dotted: ``module:Class.attribute``)."""
    module_name, _, attribute = reference.partition(":")
    try:
        found = _import(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            raise HarnessError(
                f"--model {reference}: no module {module_name!r} (searched the installed packages and the current folder {os.getcwd()}); "
                f"expected {ACCEPTED}"
            ) from None
        raise HarnessError(f"--model {reference}: importing {module_name} failed: {one_line(error)}") from error
    except Exception as error:  # the module is the user's: whatever it raises is reported on one line
        raise HarnessError(f"--model {reference}: importing {module_name} failed: {one_line(error)}") from error
    for part in attribute.split("."):
        if not hasattr(found, part):
            names = [name for name in dir(found) if not name.startswith("_")]
            raise HarnessError(f"--model {reference}: {module_name} has no {attribute!r}" + did_you_mean(part, names))
        found = getattr(found, part)
    return found


def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        here = os.getcwd()
        if error.name != module_name.split(".")[0] or here in sys.path or "" in sys.path:
            raise
        sys.path.append(here)  # the `harness` script's path lacks the current folder; appended, installed packages still win
        return importlib.import_module(module_name)


def _ranker_of(model: Any, params: dict[str, Any], label: str) -> tuple[Ranker, bool]:
    """The ranker ``model`` makes, and whether code outside the harness ranks."""
    if isinstance(model, ModelSpec):
        return model.make(**params), _outside(model.factory)
    if isinstance(model, Ranker):
        if params:
            raise HarnessError(f"{label}: a Ranker instance has its parameters already; {', '.join(params)} cannot be set (pass the class, or a ModelSpec)")
        return model, _outside(type(model))
    if isinstance(model, type):
        if not issubclass(model, Ranker):
            raise HarnessError(f"{label}: the class {model.__qualname__} is not a Ranker; expected {ACCEPTED}")
        try:
            inspect.signature(model).bind(**params)
        except TypeError as error:
            raise HarnessError(f"{label}: {model.__qualname__}({', '.join(f'{k}=...' for k in params)}): {error}") from None
        return model(**params), _outside(model)
    sentence_transformers = sys.modules.get("sentence_transformers")  # an object of a package never imported is none of its types
    if sentence_transformers is not None and isinstance(model, sentence_transformers.SentenceTransformer):
        from harness.models.sentence_transformer_object import spec_for

        return spec_for(model).make(**params), False
    if sentence_transformers is not None and isinstance(model, getattr(sentence_transformers, "CrossEncoder", ())):
        raise HarnessError(
            f"{label}: a sentence-transformers CrossEncoder scores (query, document) pairs: wrap it in a function or a "
            "PyTerrier re-ranker (input=candidates); a SentenceTransformer (bi-encoder) is ranked as it is"
        )
    pyterrier = sys.modules.get("pyterrier")
    if pyterrier is not None and isinstance(model, pyterrier.Transformer):
        from harness.models.pyterrier_ranker import spec_for

        return spec_for(model).make(**params), True
    if callable(model):
        from harness.models.callable_ranker import spec_for

        return spec_for(model).make(**params), True
    raise HarnessError(f"{label}: an object of type {type(model).__name__} is not a model; expected {ACCEPTED}")


def _outside(code: Any) -> bool:
    """Whether ``code`` (a class or a function) was defined outside the harness package."""
    module = getattr(code, "__module__", None) or ""
    return module != "harness" and not module.startswith("harness.")


def _label(model: Any) -> str:
    """``<function overlap>``, ``<class MyRanker>``, ``<SentenceTransformer object>``: an object named in messages and records."""
    if inspect.isfunction(model) or inspect.ismethod(model) or isinstance(model, type):
        return f"<{'class' if isinstance(model, type) else 'function'} {model.__name__}>"
    return f"<{type(model).__name__} object>"
