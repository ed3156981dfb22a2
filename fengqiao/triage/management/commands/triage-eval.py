"""fengqiao triage-eval: metrics and latency of a model on a labelled file, or K-fold cross-validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.triage.ml.classifier import ModelFormatError, TextClassifier, cross_validate, evaluate, read_table


class Command(BaseCommand):
    help = (
        "评估分流分类模型：--csv 文件 --model 模型，输出 JSON（macro-F1、准确率、各类精确率/召回率/F1、每条耗时）；"
        "--cv K 则在该文件上做 K 折交叉验证（不需要 --model）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, metavar="FILE", help="CSV 或 .xlsx")
        parser.add_argument("--model", help="模型文件")
        parser.add_argument("--text-columns", default="subject,text")
        parser.add_argument("--label-column", default="label")
        parser.add_argument("--cv", type=int, default=0, metavar="K", help="K 折分层交叉验证（每折重新训练）")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--latency-samples", type=int, default=0, help="只对前 N 条测耗时（0 = 全部）")

    def handle(self, *args: Any, **o: Any) -> None:
        path = Path(o["csv"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        cols = [c.strip() for c in o["text_columns"].split(",") if c.strip()]
        try:
            texts, labels = read_table(path, cols, o["label_column"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not texts:
            raise CommandError("文件中没有带标签的行")
        if o["cv"]:
            if o["cv"] < 2:
                raise CommandError("--cv 至少为 2")
            try:
                result = cross_validate(texts, labels, folds=o["cv"], seed=o["seed"], latency=True)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            result["file"] = str(path)
        else:
            if not o["model"]:
                raise CommandError("需要 --model（或用 --cv K 做交叉验证）")
            try:
                model = TextClassifier.load(o["model"])
            except (OSError, ModelFormatError) as exc:
                raise CommandError(f"无法读取模型：{exc}") from exc
            result = evaluate(model, texts, labels, latency_samples=o["latency_samples"] or None)
            result["model"] = {"path": o["model"], "version": model.version, "classes": model.classes_}
            result["file"] = str(path)
            unknown = sorted(set(labels) - set(model.classes_))
            if unknown:
                result["labels_unknown_to_model"] = unknown
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
