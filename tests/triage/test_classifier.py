"""The triage text classifier (fengqiao.triage.ml): plain Python, no database."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest

from fengqiao.triage.ml.classifier import (
    _MAGIC,
    DEFAULT_EXAMPLES,
    ModelFormatError,
    TextClassifier,
    cross_validate,
    evaluate,
    fingerprint,
    read_table,
    train_default_domain_model,
)

SHARED_CSV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "triage" / "citizen_messages_train.csv"
DOMAINS = {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"}

# New, clearly worded messages (not in the shipped examples).
CLEAR = [
    ("公司已经四个月没有发工资了，老板也不给我们交养老保险，请劳动监察大队帮帮我们。", "劳动和社会保障"),
    ("去县城的公交车一天只有两班，班车经常不按时发车，希望增加公交线路。", "交通运输"),
    ("医院挂号排队三个小时，医生看病五分钟，卫生院连个值班医生都没有。", "卫生计生"),
    ("小学的老师暑假给学生有偿补课，学校还乱收教辅资料费，请教育局查处。", "教育文体"),
    ("化工厂每天晚上偷排废气，河里的水也被污水染黑了，请环保部门检测。", "环境保护"),
    ("超市卖过期食品，景区门票太贵，旅行社还强制游客购物。", "商贸旅游"),
    ("小区物业不管事，电梯坏了，房产证办不下来，楼下还有违章建筑。", "城乡建设"),
]


@pytest.fixture(scope="module")
def examples() -> tuple[list[str], list[str]]:
    return read_table(DEFAULT_EXAMPLES, ["subject", "text"], "label")


@pytest.fixture(scope="module")
def small_model(examples: tuple[list[str], list[str]]) -> TextClassifier:
    """Trained on a stratified two-thirds sample of the shipped examples."""
    texts, labels = examples
    rng = random.Random(7)
    idx = [i for i in range(len(texts)) if rng.random() < 2 / 3]
    return TextClassifier().fit([texts[i] for i in idx], [labels[i] for i in idx])


def test_shipped_examples_cover_the_seven_domains(examples: tuple[list[str], list[str]]) -> None:
    texts, labels = examples
    assert set(labels) == DOMAINS
    counts = {d: labels.count(d) for d in DOMAINS}
    assert all(45 <= n <= 60 for n in counts.values()), counts
    assert len(set(texts)) == len(texts)
    lengths = [len(t) for t in texts]
    assert min(lengths) >= 20 and max(lengths) <= 320


def test_predicts_sensible_labels_for_new_clear_texts(small_model: TextClassifier) -> None:
    predicted = small_model.predict_batch([t for t, _ in CLEAR])
    assert predicted == [label for _, label in CLEAR]
    for text, label in CLEAR:
        top = small_model.predict_top(text, k=3)
        assert top[0][0] == label


def test_probabilities_sum_to_one_and_top_k_is_sorted(small_model: TextClassifier) -> None:
    proba = small_model.predict_proba([t for t, _ in CLEAR] + ["", "随便说点什么"])
    assert proba.shape == (len(CLEAR) + 2, len(DOMAINS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert (proba >= 0).all()
    top = small_model.predict_top("公交车司机开车太快，急刹车", k=3)
    assert len(top) == 3
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True)
    assert len({label for label, _ in top}) == 3
    everything = small_model.predict_top("公交车司机开车太快，急刹车", k=100)
    assert len(everything) == len(DOMAINS)
    assert sum(p for _, p in everything) == pytest.approx(1.0)


def test_metadata(small_model: TextClassifier) -> None:
    meta = small_model.metadata
    assert meta["classes"] == sorted(DOMAINS)
    assert meta["n_samples"] > 150
    assert len(meta["data_sha256"]) == 64
    assert meta["version"].startswith("tc")
    assert meta["trained_at"].endswith("+00:00")
    assert meta["temperature"] > 0
    assert meta["sklearn_version"]


def test_save_load_round_trip(small_model: TextClassifier, tmp_path: Path) -> None:
    path = small_model.save(tmp_path / "m" / "domain.model")
    loaded = TextClassifier.load(path)
    texts = [t for t, _ in CLEAR] + ["我家门口的垃圾好几天没人收"]
    assert loaded.predict_batch(texts) == small_model.predict_batch(texts)
    np.testing.assert_array_equal(loaded.predict_proba(texts), small_model.predict_proba(texts))
    assert loaded.metadata == small_model.metadata
    header = TextClassifier.read_header(path)
    assert header["metadata"]["data_sha256"] == small_model.data_sha256


def test_loading_a_bad_file_raises_a_clear_error(small_model: TextClassifier, tmp_path: Path) -> None:
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello", encoding="utf-8")
    with pytest.raises(ModelFormatError, match="not a Fengqiao text-classifier"):
        TextClassifier.load(not_a_model)

    good = small_model.save(tmp_path / "good.model")
    data = bytearray(good.read_bytes())
    data[-100] ^= 0xFF  # flip a byte of the pickled payload
    corrupted = tmp_path / "corrupted.model"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="corrupted"):
        TextClassifier.load(corrupted)

    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(good.read_bytes()[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="corrupted"):
        TextClassifier.load(truncated)

    header_line, _, payload = good.read_bytes()[len(_MAGIC) :].partition(b"\n")
    for old, new, message in [
        (b'"format_version": 1', b'"format_version": 99', "format version 99"),
        (b'"sklearn_version": "', b'"sklearn_version": "0.1', "scikit-learn 0.1"),
    ]:
        assert old in header_line
        other = tmp_path / "other.model"
        other.write_bytes(_MAGIC + header_line.replace(old, new, 1) + b"\n" + payload)
        with pytest.raises(ModelFormatError, match=message):
            TextClassifier.load(other)

    broken_header = tmp_path / "broken-header.model"
    broken_header.write_bytes(_MAGIC + b"{not json\n" + payload)
    with pytest.raises(ModelFormatError, match="header"):
        TextClassifier.load(broken_header)


def test_unfitted_model_refuses_to_predict_or_save(tmp_path: Path) -> None:
    model = TextClassifier()
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict_top("你好")
    with pytest.raises(RuntimeError, match="not fitted"):
        model.save(tmp_path / "x.model")


def test_fit_validates_its_input() -> None:
    with pytest.raises(ValueError, match="two classes"):
        TextClassifier().fit(["一", "二"], ["a", "a"])
    with pytest.raises(ValueError, match="labels"):
        TextClassifier().fit(["一", "二"], ["a"])
    with pytest.raises(ValueError, match="members"):
        TextClassifier(members=["forest"])


def test_binary_labels_work() -> None:
    texts = ["房子漏水物业不管", "物业费太贵", "小区电梯坏了", "工资拖欠", "老板不交社保", "工伤不给认定"]
    labels = ["建设", "建设", "建设", "劳动", "劳动", "劳动"]
    model = TextClassifier().fit(texts, labels)
    assert model.predict_batch(["物业不修电梯", "拖欠工资不交社保"]) == ["建设", "劳动"]
    assert sum(p for _, p in model.predict_top("电梯", k=5)) == pytest.approx(1.0)


def _write_rows(path: Path, rows: list[list[str]], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)


ROWS = [
    ["id", "subject", "text", "label"],
    ["1", "路灯不亮", "白塔镇的路灯坏了", "城乡建设"],
    ["2", "", "工厂排污, 河水发黑", "环境保护"],
    ["3", "没有标签", "这一行应被跳过", ""],
    ["4", "多行", "第一行\n第二行", "交通运输"],
]
EXPECTED = (
    ["路灯不亮\n白塔镇的路灯坏了", "工厂排污, 河水发黑", "多行\n第一行\n第二行"],
    ["城乡建设", "环境保护", "交通运输"],
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_read_table_csv(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "messages.csv"
    _write_rows(path, ROWS, encoding)
    assert read_table(path, ["subject", "text"], "label") == EXPECTED
    assert read_table(path, ["text"], "label")[0][0] == "白塔镇的路灯坏了"
    with pytest.raises(ValueError, match="missing column"):
        read_table(path, ["body"], "label")


def test_read_table_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in ROWS:
        ws.append([None if cell == "" else cell for cell in row])
    ws.append([5, None, 12345, "  教育文体 "])  # numbers and padding are read as text
    path = tmp_path / "messages.xlsx"
    wb.save(path)
    texts, labels = read_table(path, ["subject", "text"], "label")
    assert (texts[:3], labels[:3]) == EXPECTED
    assert (texts[3], labels[3]) == ("12345", "教育文体")


def test_read_table_rejects_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "messages.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported"):
        read_table(path, ["text"], "label")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("text,label\n路灯,城乡建设\n".encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        read_table(gbk, ["text"], "label")


def test_evaluate_returns_the_fields(small_model: TextClassifier) -> None:
    texts = [t for t, _ in CLEAR]
    labels = [label for _, label in CLEAR]
    result = evaluate(small_model, texts, labels)
    assert result["macro_f1"] == pytest.approx(1.0)
    assert result["accuracy"] == pytest.approx(1.0)
    assert result["n"] == len(CLEAR)
    assert set(result["per_class"]) == DOMAINS
    assert set(result["per_class"]["城乡建设"]) == {"precision", "recall", "f1", "support"}
    assert result["per_class"]["城乡建设"]["support"] == 1
    latency = result["latency_ms"]
    assert 0 < latency["p50"] <= latency["p99"]
    assert latency["n"] == len(CLEAR)


def test_cross_validate(examples: tuple[list[str], list[str]]) -> None:
    texts, labels = examples
    rng = random.Random(3)
    idx = sorted(rng.sample(range(len(texts)), 150))
    result = cross_validate([texts[i] for i in idx], [labels[i] for i in idx], folds=3, seed=0, members=["svc"])
    assert len(result["fold_macro_f1"]) == 3
    assert 0.5 < result["macro_f1"] <= 1.0
    assert 0.5 < result["accuracy"] <= 1.0
    assert set(result["per_class"]) == DOMAINS


def test_fingerprint_is_order_independent_and_content_sensitive() -> None:
    assert fingerprint(["a", "b"], ["x", "y"]) == fingerprint(["b", "a"], ["y", "x"])
    assert fingerprint(["a", "b"], ["x", "y"]) != fingerprint(["a", "b"], ["y", "x"])
    assert fingerprint(["a", "b"], ["x", "y"]) != fingerprint(["a", "b "], ["x", "y"])


def test_default_model_fingerprint_matches_the_shipped_examples(tmp_path: Path) -> None:
    model = train_default_domain_model(tmp_path / "domain.model")
    texts, labels = read_table(DEFAULT_EXAMPLES, ["subject", "text"], "label")
    assert model.data_sha256 == fingerprint(texts, labels)
    assert TextClassifier.read_header(tmp_path / "domain.model")["metadata"]["data_sha256"] == fingerprint(
        texts, labels
    )
    assert model.metadata["n_samples"] == len(texts)
    assert model.predict_top("老板拖欠我们三个月工资不发", k=1)[0][0] == "劳动和社会保障"


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="shared development dataset not present")
def test_no_shared_dataset_text_is_shipped() -> None:
    """The development dataset has no licence: none of its rows may appear in the shipped examples."""
    with open(SHARED_CSV, encoding="utf-8-sig", newline="") as fh:
        shared = list(csv.DictReader(fh))
    shipped_texts, _ = read_table(DEFAULT_EXAMPLES, ["text"], "label")
    shipped_subjects, _ = read_table(DEFAULT_EXAMPLES, ["subject"], "label")
    shipped = "\n".join(shipped_texts + shipped_subjects)
    window = 15
    shipped_windows = {shipped[i : i + window] for i in range(len(shipped) - window + 1)}
    for row in shared:
        for value in (row["text"].strip(), row["subject"].strip()):
            if len(value) >= window:
                assert value not in shipped
                hits = [value[i : i + window] for i in range(len(value) - window + 1)]
                assert not shipped_windows.intersection(hits), row["id"]
