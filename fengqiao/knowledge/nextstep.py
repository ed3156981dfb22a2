"""The next step for a citizen, from rules keyed on the dispute type and the wording, explained.

Rules are checked in order; the first that matches gives the main step and its reason; wording
rules (danger, money for a lawyer, "起诉", "仲裁") may add a second step. General information, not a
legal opinion: the page says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from fengqiao.knowledge.choices import NextStep


@dataclass(frozen=True)
class Advice:
    step: str
    reason: str
    where: str

    @property
    def label(self) -> str:
        return str(NextStep(self.step).label)


EMERGENCY = re.compile(r"砍|捅|持刀|拿刀|杀|自杀|跳楼|喝药|服毒|放火|着火|正在打|打得|流血|威胁要|绑|失踪")
HARDSHIP = re.compile(r"请不起律师|没钱请律师|法律援助|低保|困难户|残疾|经济困难|没有收入|特困|孤寡")
COURT_WORDS = re.compile(r"起诉|打官司|法院|诉讼|判决")
ARBITRATION_WORDS = re.compile(r"仲裁")

# (type code prefix, step, reason, where) — the longest matching prefix wins.
TYPE_RULES: list[tuple[str, str, str, str]] = [
    (
        "0104",
        NextStep.EMERGENCY,
        "家庭暴力危及人身安全，应先保证安全。",
        "报警110；也可向法院申请人身安全保护令，向妇联、村（居）委会求助",
    ),
    (
        "0101",
        NextStep.VILLAGE,
        "离婚与婚姻矛盾可先由村（社区）调解委员会或婚姻家庭纠纷调解组织调解，协议不成可到法院起诉。",
        "村（社区）人民调解委员会；协议离婚到婚姻登记机关",
    ),
    (
        "01",
        NextStep.VILLAGE,
        "家庭成员之间的纠纷，调解往往比诉讼更能保住亲情，调解不成可以起诉。",
        "村（社区）人民调解委员会",
    ),
    (
        "02",
        NextStep.VILLAGE,
        "邻里纠纷最适合由熟悉情况的村（社区）调解员当面调解。",
        "村（社区）人民调解委员会、网格员",
    ),
    ("0301", NextStep.VILLAGE, "宅基地界址争议先由村里调解，调解不成由乡镇人民政府处理。", "村委会、乡镇人民政府"),
    (
        "0302",
        NextStep.SELF_HELP,
        "房屋买卖纠纷先按合同约定协商，协商不成可调解或起诉。",
        "先协商；不成到乡镇调解中心或人民法院",
    ),
    (
        "0303",
        NextStep.SELF_HELP,
        "租赁纠纷先按租赁合同协商押金、维修、退租事项。",
        "先协商；不成到村（社区）调解或人民法院",
    ),
    (
        "03",
        NextStep.VILLAGE,
        "建房、房屋纠纷可先请村里调解，涉及规划审批的向乡镇或主管部门反映。",
        "村委会、乡镇人民政府",
    ),
    (
        "04",
        NextStep.VILLAGE,
        "土地承包、山林和灌溉纠纷先由村里调解，也可申请农村土地承包仲裁。",
        "村委会、乡镇人民政府、农村土地承包仲裁委员会",
    ),
    (
        "05",
        NextStep.DEPARTMENT,
        "征地补偿和拆迁安置由征收部门依法决定，对决定不服可申请行政复议或提起行政诉讼。",
        "乡镇人民政府、县征收部门、县自然资源部门",
    ),
    (
        "0601",
        NextStep.SELF_HELP,
        "借款纠纷先凭借条催要，协商不成可申请调解或向法院起诉（注意诉讼时效三年）。",
        "先协商；不成到调解组织或人民法院",
    ),
    (
        "06",
        NextStep.SELF_HELP,
        "合同纠纷先按合同约定协商，协商不成可调解、按约定仲裁或起诉。",
        "先协商；不成到调解组织、仲裁委员会或人民法院",
    ),
    (
        "0701",
        NextStep.DEPARTMENT,
        "欠薪可向劳动保障监察投诉，由监察部门责令支付；也可申请劳动争议仲裁。",
        "县人力社保局劳动保障监察大队、劳动人事争议仲裁委员会",
    ),
    (
        "07",
        NextStep.ARBITRATION,
        "劳动争议须先申请劳动人事争议仲裁（时效一年），对裁决不服再起诉。",
        "县劳动人事争议仲裁委员会",
    ),
    (
        "08",
        NextStep.VILLAGE,
        "损害赔偿可先请村（社区）调解确定赔偿，调解不成可向法院起诉。",
        "村（社区）人民调解委员会",
    ),
    (
        "09",
        NextStep.DEPARTMENT,
        "交通事故由交警认定责任，可申请交警或道路交通事故纠纷调解组织调解赔偿。",
        "县公安局交警大队、道交纠纷调解组织",
    ),
    (
        "10",
        NextStep.DEPARTMENT,
        "医疗纠纷可申请医疗纠纷人民调解委员会免费调解，也可申请医疗事故技术鉴定。",
        "县医疗纠纷人民调解委员会、县卫生健康局",
    ),
    ("1102", NextStep.VILLAGE, "物业费争议可由社区或物业纠纷调解组织调解。", "社区居委会、物业纠纷调解组织"),
    (
        "11",
        NextStep.DEPARTMENT,
        "物业服务问题可向社区和住房城乡建设部门反映，也可申请调解。",
        "社区居委会、县住房和城乡建设局",
    ),
    ("12", NextStep.DEPARTMENT, "消费纠纷可向市场监管部门投诉（12315），由其组织调解。", "12315、县市场监督管理局"),
    (
        "13",
        NextStep.SELF_HELP,
        "经营纠纷先按合同协商，不成可调解、仲裁或起诉。",
        "先协商；不成到商会调解组织或人民法院",
    ),
    (
        "14",
        NextStep.DEPARTMENT,
        "环境污染由生态环境部门查处，可拨打12369或向乡镇反映。",
        "县生态环境分局、乡镇人民政府",
    ),
    (
        "15",
        NextStep.DEPARTMENT,
        "村务公开、集体资产和惠民资金问题向乡镇人民政府反映，涉及违纪可向纪检监察机关反映。",
        "乡镇人民政府、纪检监察机关",
    ),
    ("17", NextStep.LEGAL_AID, "经济困难的当事人可申请法律援助，由法律援助机构审查后指派律师。", "县法律援助中心"),
]
DEFAULT = (
    NextStep.VILLAGE,
    "可以先请村（社区）调解委员会了解情况、帮助调解，再决定下一步。",
    "村（社区）人民调解委员会",
)


def advise(text: str, category_code: str = "") -> list[Advice]:
    """The main step and, where the wording calls for it, one more."""
    out: list[Advice] = []
    if EMERGENCY.search(text or ""):
        out.append(Advice(NextStep.EMERGENCY, _("您描述的情况可能有人身危险，请先确保安全。"), _("立即拨打110")))
    rule = None
    for prefix, *rest in sorted(TYPE_RULES, key=lambda r: -len(r[0])):
        if category_code and category_code.startswith(prefix):
            rule = rest
            break
    step, reason, where = rule if rule is not None else DEFAULT
    if not any(a.step == step for a in out):
        out.append(Advice(step, _(reason), _(where)))
    if HARDSHIP.search(text or "") and not any(a.step == NextStep.LEGAL_AID for a in out):
        out.append(
            Advice(
                NextStep.LEGAL_AID, _("您提到经济困难或需要律师，符合条件的可以申请免费法律援助。"), _("县法律援助中心")
            )
        )
    elif COURT_WORDS.search(text or "") and not any(a.step == NextStep.COURT for a in out):
        out.append(
            Advice(
                NextStep.COURT, _("您提到起诉：调解不成可以向人民法院起诉，注意诉讼时效。"), _("县人民法院诉讼服务中心")
            )
        )
    elif ARBITRATION_WORDS.search(text or "") and not any(a.step == NextStep.ARBITRATION for a in out):
        out.append(
            Advice(
                NextStep.ARBITRATION, _("您提到仲裁：劳动争议须先仲裁，合同有仲裁条款的按约定仲裁。"), _("仲裁委员会")
            )
        )
    return out[:3]
