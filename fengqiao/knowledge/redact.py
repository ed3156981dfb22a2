"""Anonymising a question before it is kept: phone, ID, bank card and plate numbers, e-mail
addresses, house numbers and anything shaped like a person's name go; what is kept is the list of
remaining words (jieba, with person and place names dropped by their part-of-speech tags)."""

from __future__ import annotations

import hashlib
import re

from fengqiao.knowledge.textproc import STOPWORDS, jieba_instance, normalize

# The most common surnames (they cover the great majority of people); a surname followed by a title
# or by 某 is a name-like pattern.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤应项林蒋邬"
)
TITLES = "先生|女士|小姐|阿姨|大爷|大妈|大伯|大叔|大哥|大姐|师傅|老师|老板|经理|医生|律师|主任|书记|村长|某某|某"
PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"),  # ID number (18)
    re.compile(r"(?<!\d)\d{15}(?!\d)"),  # old ID number (15)
    re.compile(r"(?<!\d)\d{16,19}(?!\d)"),  # bank card
    re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"),  # mobile
    re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"),  # landline
    re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Za-z][A-Za-z0-9]{5,6}"),  # plate
    re.compile(r"(?:我叫|我是|名叫|叫做|姓名[:：]?|本人)\s*[\u4e00-\u9fff]{2,3}"),
    re.compile(rf"[{SURNAMES}][\u4e00-\u9fff]?(?:{TITLES})"),
    re.compile(r"[0-9一二三四五六七八九十百零]+\s*(?:号楼|号|栋|幢|单元|室|组|弄|楼|村民小组)"),
    re.compile(r"\d+"),
]
DROP_FLAGS = ("nr", "ns", "nt", "m", "x", "eng")


def scrub(text: str) -> str:
    """The text with personal data patterns replaced by a space."""
    for pattern in PATTERNS:
        text = pattern.sub(" ", text)
    return text


def anonymous_words(text: str, limit: int = 30) -> list[str]:
    """The distinct content words of a question, in order, without personal data."""
    import jieba.posseg as pseg

    jieba_instance()  # initialised quietly
    out: list[str] = []
    for pair in pseg.lcut(normalize(scrub(text))):
        word, flag = pair.word.strip(), pair.flag
        if not word or word in STOPWORDS or flag.startswith(DROP_FLAGS):
            continue
        if not re.fullmatch(r"[\u4e00-\u9fff]+", word) or len(word) < 2:
            continue
        if word not in out:
            out.append(word)
        if len(out) >= limit:
            break
    return out


def signature(words: list[str]) -> str:
    return hashlib.sha256(" ".join(sorted(set(words))).encode()).hexdigest()
