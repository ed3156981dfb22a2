"""Chinese short-text classifier for intelligent triage.

Plain Python (no Django): usable from management commands, scripts and tests.

Model: TF-IDF over character 1–2-grams plus jieba words (sublinear tf), then an ensemble of three
linear models (LinearSVC, ridge classifier, NB-SVM), each with balanced class weights. Every member
is linear in the same features, so the ensemble collapses into a single weight matrix: scoring a
message costs one tokenisation and one sparse-dense product. Each member's scores are scaled by
their spread on inner cross-validation folds before they are summed, and a softmax temperature is
fitted on the same out-of-fold scores, so ``predict_top`` returns calibrated probabilities.

See docs/triage-classifier.md for the experiments behind these choices.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

# Tokenisers, tables and evaluation live in their own modules; they are re-exported here because
# saved model files refer to ``classifier.char_grams`` / ``classifier.word_tokens`` by name and
# callers import ``evaluate``, ``cross_validate`` and ``read_table`` from this module.
from fengqiao.triage.ml.evaluation import (
    _latency_summary,
    _latency_times,
    _metrics,
    cross_validate,
    evaluate,
    grouped_cross_validate,
)
from fengqiao.triage.ml.tables import read_table
from fengqiao.triage.ml.text import _jieba, char_grams, fingerprint, normalize_text, word_tokens

__all__ = [
    "DEFAULT_EXAMPLES",
    "FORMAT_VERSION",
    "ModelFormatError",
    "TextClassifier",
    "_jieba",
    "_latency_summary",
    "_latency_times",
    "_metrics",
    "char_grams",
    "cross_validate",
    "evaluate",
    "fingerprint",
    "grouped_cross_validate",
    "normalize_text",
    "read_table",
    "train_default_domain_model",
    "word_tokens",
]

FORMAT_NAME = "fengqiao-text-classifier"
FORMAT_VERSION = 1
_MAGIC = b"FENGQIAO-TEXTCLF\n"
DEFAULT_EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "domain_examples.csv"
MEMBERS = ("svc", "ridge", "nbsvm")

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


class ModelFormatError(ValueError):
    """A model file is not a Fengqiao text-classifier file, is corrupted, or has an incompatible format."""


# --------------------------------------------------------------------------------------------- model


@dataclass
class ModelInfo:
    version: str
    trained_at: str
    n_samples: int
    classes: list[str]
    data_sha256: str
    sklearn_version: str
    format_version: int
    label_counts: dict[str, int]
    temperature: float
    member_scales: dict[str, float]
    params: dict[str, Any]
    train_seconds: float
    n_features: int
    extra: dict[str, Any] = field(default_factory=dict)


def _softmax(scores: FloatArray) -> FloatArray:
    z = scores - scores.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _as_rows(coef: FloatArray, intercept: FloatArray, n_classes: int) -> tuple[FloatArray, FloatArray]:
    """sklearn's binary models have one row of weights; give every class its own row."""
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))  # RidgeClassifier's binary coef_ is 1-D
    intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    if n_classes == 2 and coef.shape[0] == 1:
        return np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef, intercept


def _fit_member(
    name: str, X: sp.csr_matrix, y: np.ndarray, n_classes: int, params: dict[str, Any]
) -> tuple[FloatArray, FloatArray]:
    """Fit one ensemble member; return its (n_classes x n_features) weights and intercepts."""
    cw = params["class_weight"]
    if name == "svc":
        svc = LinearSVC(C=params["svc_c"], class_weight=cw, random_state=params["random_state"]).fit(X, y)
        return _as_rows(svc.coef_, svc.intercept_, n_classes)
    if name == "ridge":
        ridge = RidgeClassifier(alpha=params["ridge_alpha"], class_weight=cw).fit(X, y)
        return _as_rows(ridge.coef_, ridge.intercept_, n_classes)
    if name == "nbsvm":
        # NB-SVM (Wang & Manning 2012): one-vs-rest SVMs on features scaled by the class log-count ratio.
        binary = X.copy()
        binary.data[:] = 1.0
        rows, biases = [], []
        for c in range(n_classes):
            pos = y == c
            p = np.asarray(binary[pos].sum(axis=0)).ravel() + 1.0
            q = np.asarray(binary[~pos].sum(axis=0)).ravel() + 1.0
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svc = LinearSVC(C=params["nbsvm_c"], class_weight=cw, random_state=params["random_state"])
            svc.fit(sp.csr_matrix(X.multiply(ratio)), pos.astype(np.int64))
            rows.append(svc.coef_[0] * ratio)
            biases.append(svc.intercept_[0])
        return np.vstack(rows), np.asarray(biases)
    raise ValueError(f"unknown ensemble member {name!r}; choose from {MEMBERS}")


def _calibration_sample(y: np.ndarray, limit: int, seed: int) -> np.ndarray | None:
    """Indices of a stratified random sample of ``limit`` of ``y`` (sorted), or None when ``y`` is not
    larger than ``limit`` (or there is no limit). Every class keeps at least min(its size, 3)."""
    if limit <= 0 or len(y) <= limit:
        return None
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = min(len(members), max(3, round(limit * len(members) / len(y))))
        out.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(out))


def _fit_temperature(scores: FloatArray, y: np.ndarray) -> float:
    """Softmax temperature minimising the log loss of out-of-fold scores."""

    def nll(log_t: float) -> float:
        z = scores / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(y)), y].mean())

    res = minimize_scalar(nll, bounds=(-6.0, 4.0), method="bounded")
    return float(np.exp(res.x))


@dataclass
class _Block:
    """One TF-IDF feature block (sublinear tf, smoothed idf, L2 norm) with its share of the weights.

    Scoring one message this way avoids scikit-learn's per-call overhead: look up the message's terms,
    weight them, and multiply by the few matching rows of the weight matrix."""

    analyzer: Callable[[str], list[str]]
    vocab: dict[str, int]
    idf: FloatArray
    weights: FloatArray  # (n_terms x n_classes)

    def scores(self, doc: str) -> FloatArray:
        terms = self.analyzer(doc)
        found = np.fromiter(map(self.vocab.get, terms, repeat(-1)), dtype=np.intp, count=len(terms))
        found = found[found >= 0]
        if not found.size:
            return np.zeros(self.weights.shape[1])
        ix, tf = np.unique(found, return_counts=True)
        values = (1.0 + np.log(tf)) * self.idf[ix]
        values /= np.sqrt(values @ values)
        return values @ self.weights[ix]


class TextClassifier:
    """Predict a label (a responsible domain, a dispute type...) from free Chinese text."""

    def __init__(
        self,
        *,
        members: Sequence[str] = MEMBERS,
        max_chars: int = 1500,
        char_n: int = 2,
        word_chars: int | None = 400,
        word_hmm: bool = False,
        min_df: int = 2,
        class_weight: str | None = "balanced",
        svc_c: float = 1.0,
        ridge_alpha: float = 0.5,
        nbsvm_c: float = 0.3,
        calibration_folds: int = 3,
        calibration_max: int = 20000,
        random_state: int = 0,
    ) -> None:
        unknown = set(members) - set(MEMBERS)
        if unknown or not members:
            raise ValueError(f"members must be a non-empty subset of {MEMBERS}, got {list(members)}")
        self.params: dict[str, Any] = {
            "members": list(members),
            "max_chars": max_chars,
            "char_n": char_n,
            "word_chars": word_chars,
            "word_hmm": word_hmm,
            "min_df": min_df,
            "class_weight": class_weight,
            "svc_c": svc_c,
            "ridge_alpha": ridge_alpha,
            "nbsvm_c": nbsvm_c,
            "calibration_folds": calibration_folds,
            "calibration_max": calibration_max,
            "random_state": random_state,
        }
        self.classes_: list[str] = []
        self.info: ModelInfo | None = None
        self._blocks: list[_Block] = []
        self._bias: FloatArray | None = None
        self._temperature = 1.0

    # ---------------------------------------------------------------- features

    def _prepare(self, text: str) -> str:
        limit = self.params["max_chars"]
        # Cut before normalising too (a long message would cost ~0.5 ms more), with a margin for the
        # white space that normalising removes.
        return normalize_text(text[: 2 * limit + 100])[:limit]

    def _analyzers(self) -> list[Callable[[str], list[str]]]:
        """One tokeniser per feature block; the same functions serve training and fast prediction."""
        out: list[Callable[[str], list[str]]] = [partial(char_grams, n_max=self.params["char_n"])]
        if self.params["word_chars"] != 0:
            out.append(partial(word_tokens, max_chars=self.params["word_chars"], hmm=self.params["word_hmm"]))
        return out

    # ---------------------------------------------------------------- training

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, version: str | None = None) -> TextClassifier:
        """Train on texts and their labels; returns self."""
        started = time.perf_counter()
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        labels = [str(lab).strip() for lab in labels]
        if any(not lab for lab in labels):
            raise ValueError("empty label")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError(f"need at least two classes, got {classes}")
        class_index = {c: i for i, c in enumerate(classes)}
        y = np.array([class_index[lab] for lab in labels], dtype=np.int64)
        n_classes = len(classes)

        docs = [self._prepare(t) for t in texts]
        # With very few examples, a term seen once is still worth keeping.
        min_df = self.params["min_df"] if len(docs) >= 20 * self.params["min_df"] else 1
        vectorizers = [
            TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float64)
            for analyzer in self._analyzers()
        ]
        matrices = [v.fit_transform(docs) for v in vectorizers]
        X = sp.csr_matrix(sp.hstack(matrices, format="csr", dtype=np.float64))

        members: list[str] = self.params["members"]
        # Out-of-fold scores of every member: their spread sets the member weights, and the softmax
        # temperature is fitted on the combined out-of-fold scores.
        # Above ``calibration_max`` examples the out-of-fold scores come from a stratified sample of
        # that size: the scales and the temperature are a few numbers, and the inner folds on all of a
        # large set would cost three more fits of nearly its size (retraining at 100,000 cases).
        cal = _calibration_sample(y, self.params.get("calibration_max") or 0, self.params["random_state"])
        Xc, yc = (X, y) if cal is None else (X[cal], y[cal])
        counts = np.bincount(yc, minlength=n_classes)
        n_folds = min(self.params["calibration_folds"], int(counts.min()))
        scales: dict[str, float] = {}
        temperature = 1.0
        if n_folds >= 2:
            oof = {m: np.zeros((len(yc), n_classes)) for m in members}
            skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=self.params["random_state"])
            for tr, te in skf.split(np.zeros(len(yc)), yc):
                for m in members:
                    coef, icpt = _fit_member(m, Xc[tr], yc[tr], n_classes, self.params)
                    oof[m][te] = Xc[te] @ coef.T + icpt
            scales = {m: float(oof[m].std()) or 1.0 for m in members}
            combined = sum(oof[m] / scales[m] for m in members)
            assert isinstance(combined, np.ndarray)
            temperature = _fit_temperature(combined, yc)

        coef_sum = np.zeros((n_classes, X.shape[1]))
        bias_sum = np.zeros(n_classes)
        for m in members:
            coef, icpt = _fit_member(m, X, y, n_classes, self.params)
            if m not in scales:  # no inner folds possible: fall back to the spread on the training set
                scales[m] = float((X @ coef.T + icpt).std()) or 1.0
            coef_sum += coef / scales[m]
            bias_sum += icpt / scales[m]

        self.classes_ = classes
        self._blocks = []
        start = 0
        for v, mat in zip(vectorizers, matrices, strict=True):
            stop = start + mat.shape[1]
            self._blocks.append(
                _Block(
                    analyzer=v.analyzer,
                    vocab={str(term): int(j) for term, j in v.vocabulary_.items()},
                    idf=np.asarray(v.idf_, dtype=np.float64),
                    weights=np.ascontiguousarray(coef_sum[:, start:stop].T),
                )
            )
            start = stop
        self._bias = bias_sum
        self._temperature = temperature

        trained_at = datetime.now(UTC)
        data_sha = fingerprint(list(texts), labels)
        self.info = ModelInfo(
            version=version or f"tc{FORMAT_VERSION}-{trained_at:%Y%m%d%H%M%S}-{data_sha[:8]}",
            trained_at=trained_at.isoformat(timespec="seconds"),
            n_samples=len(docs),
            classes=list(classes),
            data_sha256=data_sha,
            sklearn_version=sklearn.__version__,
            format_version=FORMAT_VERSION,
            label_counts=dict(sorted(Counter(labels).items())),
            temperature=temperature,
            member_scales=scales,
            params=dict(self.params),
            train_seconds=round(time.perf_counter() - started, 3),
            n_features=int(X.shape[1]),
        )
        return self

    # ---------------------------------------------------------------- prediction

    def _check_fitted(self) -> None:
        if not self._blocks or self._bias is None:
            raise RuntimeError("TextClassifier is not fitted: call fit() or TextClassifier.load()")

    def _scores(self, text: str) -> FloatArray:
        assert self._bias is not None
        doc = self._prepare(text)
        total = self._bias.copy()
        for block in self._blocks:
            total += block.scores(doc)
        return total

    def decision_scores(self, texts: Sequence[str]) -> FloatArray:
        """Raw ensemble scores, shape (len(texts), n_classes), columns in ``classes_`` order."""
        self._check_fitted()
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return np.vstack([self._scores(t) for t in texts])

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Calibrated probabilities, shape (len(texts), n_classes); each row sums to 1."""
        return _softmax(self.decision_scores(texts) / self._temperature)

    def predict_top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely labels with their probabilities, most likely first."""
        proba = self.predict_proba([text])[0]
        order = np.argsort(-proba, kind="stable")[: max(1, k)]
        return [(self.classes_[i], float(proba[i])) for i in order]

    def predict_batch(self, texts: Sequence[str]) -> list[str]:
        """The most likely label of each text."""
        if not texts:
            return []
        best = self.decision_scores(texts).argmax(axis=1)
        return [self.classes_[i] for i in best]

    def predict(self, text: str) -> str:
        return self.predict_batch([text])[0]

    # ---------------------------------------------------------------- metadata

    @property
    def metadata(self) -> dict[str, Any]:
        self._check_fitted()
        assert self.info is not None
        return asdict(self.info)

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def data_sha256(self) -> str:
        return self.metadata["data_sha256"]

    def __repr__(self) -> str:
        if self.info is None:
            return "TextClassifier(unfitted)"
        return f"TextClassifier(version={self.info.version!r}, classes={len(self.classes_)}, n={self.info.n_samples})"

    # ---------------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to one file: a magic line, a JSON header line, then the pickled model."""
        self._check_fitted()
        payload = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        header = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
            "payload_bytes": len(payload),
            "metadata": self.metadata,
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(_MAGIC)
            fh.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
            fh.write(payload)
        os.replace(tmp, target)
        return target

    @staticmethod
    def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
        """The JSON header of a model file (format, versions, metadata), without loading the model."""
        with open(path, "rb") as fh:
            return _read_header(fh, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, allow_version_mismatch: bool = False) -> TextClassifier:
        """Load a model written by ``save``. Raises ModelFormatError for anything else, a corrupted
        file, another format version, or (unless allowed) another scikit-learn minor version."""
        p = Path(path)
        with open(p, "rb") as fh:
            header = _read_header(fh, p)
            payload = fh.read()
        if header.get("format_version") != FORMAT_VERSION:
            raise ModelFormatError(
                f"{p}: model format version {header.get('format_version')!r}, this code reads version "
                f"{FORMAT_VERSION}; retrain the model"
            )
        saved_sk = str(header.get("sklearn_version", "?"))
        if _minor(saved_sk) != _minor(sklearn.__version__) and not allow_version_mismatch:
            raise ModelFormatError(
                f"{p}: model trained with scikit-learn {saved_sk}, running {sklearn.__version__}; retrain the "
                "model (or pass allow_version_mismatch=True at your own risk)"
            )
        if len(payload) != header.get("payload_bytes") or hashlib.sha256(payload).hexdigest() != header.get(
            "payload_sha256"
        ):
            raise ModelFormatError(f"{p}: model file is corrupted (checksum mismatch)")
        try:
            # The payload is only unpickled after its checksum matched the header; load trusted files only.
            model = pickle.loads(payload)  # noqa: S301
        except Exception as exc:
            raise ModelFormatError(f"{p}: cannot unpickle the model: {exc}") from exc
        if not isinstance(model, cls):
            raise ModelFormatError(f"{p}: contains a {type(model).__name__}, not a {cls.__name__}")
        return model


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _read_header(fh: io.BufferedReader, path: Path) -> dict[str, Any]:
    magic = fh.read(len(_MAGIC))
    if magic != _MAGIC:
        raise ModelFormatError(f"{path}: not a Fengqiao text-classifier model file (bad magic bytes)")
    line = fh.readline(1_000_000)
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path}: model file header is corrupted: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{path}: unknown model format {header!r:.80}")
    return header


# --------------------------------------------------------------------------------------------- default model


def train_default_domain_model(
    out_path: str | os.PathLike[str] | None = None, *, examples: str | os.PathLike[str] = DEFAULT_EXAMPLES
) -> TextClassifier:
    """Train the demo domain classifier on the shipped examples (subject + text -> label); save it to
    ``out_path`` when given and return it."""
    texts, labels = read_table(examples, ["subject", "text"], "label")
    model = TextClassifier().fit(texts, labels, version=f"domain-demo-{fingerprint(texts, labels)[:12]}")
    if out_path is not None:
        model.save(out_path)
    return model
