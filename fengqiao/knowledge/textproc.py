"""Text processing shared by the index and the log: normalising and jieba words (search mode)."""

from __future__ import annotations

import re
from typing import Any

from fengqiao.triage.ml.classifier import _jieba, normalize_text

STOPWORDS = frozenset(
    """的 了 是 我 你 他 她 它 我们 你们 他们 在 有 和 就 都 而 及 与 吗 呢 吧 啊 呀 哦 嘛 么 怎么 怎么办 怎样 什么 如何 可以 可不可以
    能 能不能 能否 要 会 这 那 这个 那个 一个 也 还 把 给 对 让 请问 请 想 问 问下 一下 应该 需要 该 去 到 从 被 为 为了 因为 所以
    但是 但 如果 是否 已经 现在 这样 那样 哪里 哪 谁 多少 多久 没 着 过 又 再 很 非常 太 最 自己 一直 然后 之后 以后 还是 或者 或
    时候 事情 问题 情况 办法 咨询 您好 你好 谢谢 老师 领导 帮忙 帮助 一 二 上 下 中 里 后 前 之 其 等 地 得 个 只 才 由 以 将 向
    三 四 五 六 七 八 九 十 几 两 我家 家里 有没有 是不是 会不会 要不要 得到 知道 办 做 说 看 找 用 里面 关于 这种 那种 情形 方面 一些 有些 好 多 大 小""".split()
)
_PUNCT = re.compile(r"[^\w\u4e00-\u9fff]+")


def jieba_instance() -> Any:
    return _jieba()


def normalize(text: str) -> str:
    return normalize_text(text or "")


def tokenize(text: str) -> list[str]:
    """Search-mode jieba words of the normalised text (a long word also yields its parts), without
    punctuation and stop words."""
    norm = _PUNCT.sub(" ", normalize(text))
    return [w for w in jieba_instance().lcut_for_search(norm, HMM=False) if w.strip() and w not in STOPWORDS]
