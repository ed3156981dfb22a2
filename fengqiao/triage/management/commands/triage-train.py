"""fengqiao triage-train: train a type or domain classifier from a CSV/.xlsx file (and dispatcher labels)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.triage.ml import registry, training
from fengqiao.triage.ml.classifier import TextClassifier


class Command(BaseCommand):
    help = "训练分流分类模型：--csv 文件（CSV 或 .xlsx）、--task type|domain、--include-corrections 加入人工纠正标签。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", action="append", default=[], metavar="FILE", help="CSV 或 .xlsx，可重复")
        parser.add_argument("--text-columns", default="subject,text", help="文本列，逗号分隔（默认 subject,text）")
        parser.add_argument("--label-column", default="label")
        parser.add_argument("--task", choices=registry.TASKS, default="domain")
        parser.add_argument("--out", help="模型文件（默认 FENGQIAO_MODEL_DIR/<task>-<version>.model）")
        parser.add_argument("--model-version", dest="model_version", help="版本号（默认由时间和数据指纹生成）")
        parser.add_argument("--include-corrections", action="store_true", help="加入该任务的训练标签（人工纠正/确认）")
        parser.add_argument("--register", action="store_true", help="登记为分类模型版本")
        parser.add_argument("--activate", action="store_true", help="登记并启用（同一任务只启用一个）")

    def handle(self, *args: Any, **o: Any) -> None:
        if not o["csv"] and not o["include_corrections"]:
            raise CommandError("需要 --csv 文件或 --include-corrections")
        for f in o["csv"]:
            if not Path(f).exists():
                raise CommandError(f"文件不存在：{f}")
        cols = [c.strip() for c in o["text_columns"].split(",") if c.strip()]
        try:
            ds = training.load_dataset(
                o["task"], o["csv"], cols, o["label_column"], include_corrections=o["include_corrections"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if len(set(ds.labels)) < 2:
            raise CommandError(f"至少需要两个类别，现有 {len(ds.texts)} 条、{len(set(ds.labels))} 类")
        model = TextClassifier().fit(ds.texts, ds.labels, version=o["model_version"])
        out = Path(o["out"]) if o["out"] else registry.model_dir() / f"{o['task']}-{model.version}.model"
        model.save(out)
        meta = model.metadata
        result: dict[str, Any] = {
            "task": o["task"],
            "version": meta["version"],
            "out": str(out),
            "samples": meta["n_samples"],
            "classes": meta["classes"],
            "data_sha256": meta["data_sha256"],
            "sources": ds.sources,
            "train_seconds": meta["train_seconds"],
        }
        if o["register"] or o["activate"]:
            cv = training.register(o["task"], model, out, sources=ds.sources, activate=o["activate"])
            result["registered"] = cv.pk
            result["active"] = cv.is_active
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
