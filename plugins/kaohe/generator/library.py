"""The indicator library (指标库): key, common (42 items), individual, subjective.

The same library is used at every scale. `base` is a typical annual target
for `ratio`/`submission` indicators (the department's own target is drawn
around it); `integer` says whether values are whole counts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    category: str  # key / individual / common / subjective
    level1: str
    level2: str
    scoring: str  # ratio / deduction / evaluation
    source: str  # submission / project_progress / demolition_signed / demolition_cleared
    unit: str
    base: float = 0.0
    integer: bool = True

    @property
    def reported(self) -> bool:
        """Does a department send indicator_progress rows for it?"""
        return self.scoring == "ratio" and self.source == "submission"


def _key(code, name, level1, unit, base, source="submission", integer=True):
    return Indicator(code, name, "key", level1, name, "ratio", source, unit, base, integer)


KEY = (
    _key("K1-01", "招商引资到位资金", "招商引资", "万元", 30000, integer=False),
    _key("K1-02", "新签约招商项目", "招商引资", "个", 12),
    _key("K1-03", "固定资产投资", "项目建设", "万元", 80000, integer=False),
    _key("K1-04", "规上工业产值", "经济运行", "万元", 200000, integer=False),
    _key("K1-05", "社会消费品零售总额", "经济运行", "万元", 60000, integer=False),
    _key("K1-06", "外贸进出口总额", "经济运行", "万美元", 5000, integer=False),
    _key("K1-07", "税收收入", "经济运行", "万元", 40000, integer=False),
    _key("K1-08", "新增市场主体", "经济运行", "户", 800),
    _key("K1-09", "新认定高新技术企业", "创新驱动", "家", 15),
    _key("K1-10", "重点项目建设", "项目建设", "%", 0, source="project_progress"),
    _key("K1-11", "征迁签约", "征地拆迁", "户", 0, source="demolition_signed"),
    _key("K1-12", "征迁腾空", "征地拆迁", "户", 0, source="demolition_cleared"),
    _key("K1-13", "土地报征", "征地拆迁", "亩", 1500),
    _key("K1-14", "争取上级资金", "项目建设", "万元", 10000, integer=False),
    _key("K1-15", "村集体经济收入", "乡村振兴", "万元", 300, integer=False),
    _key("K1-16", "巩固脱贫攻坚成果帮扶项目", "乡村振兴", "个", 20),
)
PROJECT_KEY = "K1-10"
SIGNED_KEY = "K1-11"
CLEARED_KEY = "K1-12"
ECONOMIC_KEY_POOL = ("K1-02", "K1-03", "K1-04", "K1-05", "K1-06", "K1-07", "K1-08", "K1-09", "K1-13", "K1-14")
COMPREHENSIVE_KEY_POOL = ("K1-01", "K1-14")
AGRI_KEY_POOL = ("K1-15", "K1-16")

# 基层党建 / 党风廉政 / 意识形态, 14 level-2 items each = the article's 42.
# (name, unit, base) — base > 0 marks the few ratio/submission items.
_COMMON = {
    "基层党建": (
        ("党组织书记抓党建述职评议", "", 0),
        ("“三会一课”制度落实", "", 0),
        ("主题党日活动开展", "", 0),
        ("发展党员", "名", 3),
        ("党费收缴管理", "", 0),
        ("党组织标准化规范化建设", "", 0),
        ("党员教育培训", "人次", 120),
        ("软弱涣散党组织整顿", "", 0),
        ("抓党建促乡村振兴", "", 0),
        ("基层党建工作台账", "", 0),
        ("“双报到”工作", "", 0),
        ("党内关怀帮扶", "", 0),
        ("党建品牌创建", "", 0),
        ("组织生活会和民主评议党员", "", 0),
    ),
    "党风廉政": (
        ("主体责任清单落实", "", 0),
        ("廉政风险防控", "", 0),
        ("中央八项规定精神落实", "", 0),
        ("作风建设", "", 0),
        ("廉政教育", "", 0),
        ("公务接待管理", "", 0),
        ("公车使用管理", "", 0),
        ('"三重一大"决策制度执行', "", 0),
        ("信访举报问题办理", "", 0),
        ("巡察反馈问题整改", "", 0),
        ("审计发现问题整改", "", 0),
        ("政府采购管理", "", 0),
        ("警示教育", "", 0),
        ("廉洁文化建设", "", 0),
    ),
    "意识形态": (
        ("意识形态工作责任制", "", 0),
        ("理论学习中心组学习", "", 0),
        ("网络意识形态管理", "", 0),
        ("新闻宣传报道", "篇", 24),
        ("舆情处置", "", 0),
        ("宣传阵地管理", "", 0),
        ("精神文明创建", "", 0),
        ("新时代文明实践", "", 0),
        ("社会主义核心价值观宣传", "", 0),
        ("意识形态风险研判", "", 0),
        ("统一战线工作", "", 0),
        ("民族宗教工作", "", 0),
        ("政务新媒体管理", "", 0),
        ("志愿服务活动", "", 0),
    ),
}


def _common() -> tuple[Indicator, ...]:
    items = []
    for g, (level1, rows) in enumerate(_COMMON.items(), start=1):
        for i, (name, unit, base) in enumerate(rows, start=1):
            if base:
                items.append(
                    Indicator(f"G{g}-{i:02d}", name, "common", level1, name, "ratio", "submission", unit, base)
                )
            else:
                items.append(Indicator(f"G{g}-{i:02d}", name, "common", level1, name, "deduction", "submission", "分"))
    return tuple(items)


COMMON = _common()
PARTY_BUILDING = tuple(i.code for i in COMMON if i.level1 == "基层党建")
OTHER_COMMON = tuple(i.code for i in COMMON if i.level1 != "基层党建")


def _ind(code, name, level1, unit="分", base=0):
    if base:
        return Indicator(code, name, "individual", level1, name, "ratio", "submission", unit, base)
    return Indicator(code, name, "individual", level1, name, "deduction", "submission", "分")


INDIVIDUAL = (
    _ind("I1-01", "企业走访服务", "营商环境", "家次", 200),
    _ind("I1-02", "营商环境投诉办理", "营商环境"),
    _ind("I1-03", "入库纳统项目", "经济运行", "个", 10),
    _ind("I1-04", "安全生产", "安全稳定"),
    _ind("I2-01", "政务服务事项办理", "公共服务", "件", 3000),
    _ind("I2-02", "信访案件办结", "安全稳定", "件", 150),
    _ind("I2-03", "12345热线工单办结", "公共服务", "件", 800),
    _ind("I2-04", "依法行政", "法治建设"),
    _ind("I2-05", "民生实事办理", "公共服务", "件", 30),
    _ind("I2-06", "安全生产监管", "安全稳定"),
    _ind("I2-07", "重点工作督办落实", "督查督办"),
    _ind("I3-01", "农村人居环境整治", "乡村振兴"),
    _ind("I3-02", "防返贫动态监测", "乡村振兴"),
    _ind("I3-03", "农村产业项目", "乡村振兴", "个", 12),
    _ind("I3-04", "社区治理", "基层治理"),
    _ind("I3-05", "产业帮扶户", "乡村振兴", "户", 200),
)
INDIVIDUAL_POOL = {
    "economic": tuple(i.code for i in INDIVIDUAL if i.code.startswith("I1")),
    "comprehensive": tuple(i.code for i in INDIVIDUAL if i.code.startswith("I2")),
    "agri": tuple(i.code for i in INDIVIDUAL if i.code.startswith("I3")),
}

EVALUATION = Indicator("S1-01", "综合测评", "subjective", "主观评价", "综合测评", "evaluation", "submission", "分")

LIBRARY: tuple[Indicator, ...] = KEY + COMMON + INDIVIDUAL + (EVALUATION,)
BY_CODE: dict[str, Indicator] = {i.code: i for i in LIBRARY}
UNKNOWN_INDICATOR = "K9-99"  # well-formed, never in the library
