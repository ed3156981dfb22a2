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

import contextlib
import csv
import hashlib
import io
import json
import logging
import operator
import os
import pickle
import re
import threading
import time
import unicodedata
import warnings
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
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

__all__ = [
    "DEFAULT_EXAMPLES",
    "FORMAT_VERSION",
    "ModelFormatError",
    "TextClassifier",
    "cross_validate",
    "evaluate",
    "fingerprint",
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


# --------------------------------------------------------------------------------------------- tokenising

_JIEBA: Any = None
_JIEBA_LOCK = threading.Lock()


def _jieba() -> Any:
    """jieba, initialised once, lazily and quietly (its first load logs to stderr and takes ~1 s)."""
    global _JIEBA
    if _JIEBA is None:
        with _JIEBA_LOCK:
            if _JIEBA is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # jieba's old regexes: invalid escape sequences
                    jieba.initialize()
                _JIEBA = jieba
    return _JIEBA


_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, runs of white space to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def char_grams(text: str, n_max: int = 2) -> list[str]:
    """Character 1..n_max-grams of an already normalised text."""
    grams = list(text)
    if n_max >= 2:
        grams.extend(map(operator.add, text, text[1:]))  # bigrams, built in C
    for n in range(3, n_max + 1):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def word_tokens(text: str, max_chars: int | None = None, hmm: bool = False) -> list[str]:
    """jieba words of (the first ``max_chars`` characters of) an already normalised text, without
    white space. jieba costs ~3.5 µs per character without its HMM for unknown words, ~7 µs with it:
    the cap keeps one message under a few milliseconds."""
    if max_chars is not None:
        text = text[:max_chars]
    return [w for w in _jieba().lcut(text, HMM=hmm) if w and not w.isspace()]


# --------------------------------------------------------------------------------------------- fingerprint


def fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """sha256 of a training set: order-independent, over the (text, label) pairs exactly as given."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    pairs = sorted(json.dumps([t, lab], ensure_ascii=False) for t, lab in zip(texts, labels, strict=True))
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(pair.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


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
        counts = np.bincount(y, minlength=n_classes)
        n_folds = min(self.params["calibration_folds"], int(counts.min()))
        scales: dict[str, float] = {}
        temperature = 1.0
        if n_folds >= 2:
            oof = {m: np.zeros((len(y), n_classes)) for m in members}
            skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=self.params["random_state"])
            for tr, te in skf.split(np.zeros(len(y)), y):
                for m in members:
                    coef, icpt = _fit_member(m, X[tr], y[tr], n_classes, self.params)
                    oof[m][te] = X[te] @ coef.T + icpt
            scales = {m: float(oof[m].std()) or 1.0 for m in members}
            combined = sum(oof[m] / scales[m] for m in members)
            assert isinstance(combined, np.ndarray)
            temperature = _fit_temperature(combined, y)

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


# --------------------------------------------------------------------------------------------- data


def read_table(
    path: str | os.PathLike[str], text_columns: Sequence[str], label_column: str
) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV (UTF-8, with or without BOM) or .xlsx file with a header row.

    The text columns are joined with a newline (empty ones left out); rows with an empty label are skipped.
    """
    p = Path(path)
    if not text_columns:
        raise ValueError("text_columns is empty")
    suffix = p.suffix.lower()
    header: Sequence[Any]
    rows: Sequence[Sequence[Any]]
    if suffix == ".xlsx":
        header, rows = _xlsx_rows(p)
    elif suffix in {".csv", ".txt"}:
        header, rows = _csv_rows(p)
    else:
        raise ValueError(f"{p}: unsupported file type {suffix!r} (use .csv or .xlsx)")
    names = [str(h or "").strip() for h in header]
    missing = [c for c in [*text_columns, label_column] if c not in names]
    if missing:
        raise ValueError(f"{p}: missing column(s) {missing}; the file has {names}")
    text_idx = [names.index(c) for c in text_columns]
    label_idx = names.index(label_column)
    texts: list[str] = []
    labels: list[str] = []
    for row in rows:
        cells = ["" if v is None else str(v).strip() for v in row]
        cells += [""] * (len(names) - len(cells))
        label = cells[label_idx]
        if not label:
            continue
        texts.append("\n".join(cells[i] for i in text_idx if cells[i]))
        labels.append(label)
    return texts, labels


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc}); save the CSV as UTF-8") from exc
    reader = csv.reader(io.StringIO(content, newline=""))
    rows = list(reader)
    if not rows:
        raise ValueError(f"{path}: empty file")
    return rows[0], rows[1:]


def _xlsx_rows(path: Path) -> tuple[list[Any], list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.active
        if ws is None:
            raise ValueError(f"{path}: workbook has no sheet")
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise ValueError(f"{path}: empty sheet")
    return list(rows[0]), rows[1:]


# --------------------------------------------------------------------------------------------- evaluation


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def _metrics(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(classes) | set(truth))
    prec, rec, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, average=None, zero_division=0
    )
    return {
        "macro_f1": float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "per_class": {
            lab: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for lab, p, r, f, s in zip(labels, prec, rec, f1, support, strict=True)
        },
    }


def evaluate(
    model: TextClassifier,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    latency: bool = True,
    latency_samples: int | None = None,
) -> dict[str, Any]:
    """Macro-F1, accuracy and per-class precision/recall/F1/support of ``model`` on labelled texts, plus
    the latency of ``predict_top`` measured one message at a time (p50/p99/mean in milliseconds)."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    predicted = model.predict_batch(texts)
    result = _metrics(list(labels), predicted, model.classes_)
    result["n"] = len(texts)
    if latency and texts:
        sample = list(texts)[:latency_samples] if latency_samples else list(texts)
        result["latency_ms"] = _latency(model, sample)
    return result


def _latency(model: TextClassifier, texts: Sequence[str]) -> dict[str, float]:
    return _latency_summary(_latency_times(model, texts))


def _latency_summary(times: Sequence[tuple[float, float]]) -> dict[str, float]:
    """Wall-clock p50/p99/mean/max, and the same percentiles of the CPU time of the calling thread
    (``cpu_p50``/``cpu_p99``: what one core spends, unaffected by waiting for a busy machine)."""
    wall = [w for w, _ in times]
    cpu = [c for _, c in times]
    return {
        "p50": _percentile(wall, 50),
        "p95": _percentile(wall, 95),
        "p99": _percentile(wall, 99),
        "mean": float(np.mean(wall)),
        "max": float(np.max(wall)),
        "cpu_p50": _percentile(cpu, 50),
        "cpu_p95": _percentile(cpu, 95),
        "cpu_p99": _percentile(cpu, 99),
        "n": len(times),
    }


def _cv_fold(
    texts: Sequence[str],
    labels: Sequence[str],
    train: np.ndarray,
    test: np.ndarray,
    params: dict[str, Any],
    latency: bool,
) -> dict[str, Any]:
    model = TextClassifier(**params).fit([texts[i] for i in train], [labels[i] for i in train])
    test_texts = [texts[i] for i in test]
    predicted = model.predict_batch(test_texts)
    truth = [labels[i] for i in test]
    out: dict[str, Any] = {
        "test": test.tolist(),
        "predicted": predicted,
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "train_seconds": model.metadata["train_seconds"],
    }
    if latency:
        out["latency_times"] = _latency_times(model, test_texts)
    return out


def _latency_times(model: TextClassifier, texts: Sequence[str]) -> list[tuple[float, float]]:
    """(wall, thread CPU) milliseconds of each ``predict_top`` call, one message at a time, after a
    short warm-up."""
    for t in texts[:5]:
        model.predict_top(t)
    times = []
    for t in texts:
        start, start_cpu = time.perf_counter(), time.thread_time()
        model.predict_top(t, k=3)
        times.append(((time.perf_counter() - start) * 1000.0, (time.thread_time() - start_cpu) * 1000.0))
    return times


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    *,
    n_jobs: int = 1,
    latency: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """Stratified K-fold cross-validation of ``TextClassifier(**params)``.

    Returns the mean and standard deviation over folds of macro-F1 and accuracy, the per-fold numbers,
    per-class metrics of the pooled out-of-fold predictions and, with ``latency=True``, the latency of
    ``predict_top`` one message at a time over all out-of-fold messages.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    texts, labels = list(texts), [str(lab).strip() for lab in labels]
    TextClassifier(**params)  # validate parameters before spawning work
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(skf.split(np.zeros(len(labels)), labels))
    if n_jobs == 1:
        results = [_cv_fold(texts, labels, tr, te, params, latency) for tr, te in splits]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(
            delayed(_cv_fold)(texts, labels, tr, te, params, latency) for tr, te in splits
        )
    oof: list[str] = [""] * len(labels)
    for res in results:
        for i, pred in zip(res["test"], res["predicted"], strict=True):
            oof[i] = pred
    f1s = [r["macro_f1"] for r in results]
    accs = [r["accuracy"] for r in results]
    pooled = _metrics(labels, oof, sorted(set(labels)))
    out: dict[str, Any] = {
        "folds": folds,
        "seed": seed,
        "n": len(labels),
        "params": TextClassifier(**params).params,
        "macro_f1": float(np.mean(f1s)),
        "macro_f1_std": float(np.std(f1s)),
        "accuracy": float(np.mean(accs)),
        "accuracy_std": float(np.std(accs)),
        "fold_macro_f1": f1s,
        "fold_accuracy": accs,
        "pooled_macro_f1": pooled["macro_f1"],
        "per_class": pooled["per_class"],
        "train_seconds_mean": float(np.mean([r["train_seconds"] for r in results])),
    }
    if latency:
        out["latency_ms"] = _latency_summary([t for r in results for t in r["latency_times"]])
    return out


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
