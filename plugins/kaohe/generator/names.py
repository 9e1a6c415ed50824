"""Word lists the sample district is drawn from.

Everything here is GBK-encodable on purpose: several departments send GBK
files, and a name Excel cannot save in GBK would be a generator bug, not a
test of the loader.
"""

from __future__ import annotations

# Surnames roughly by frequency (the first ones are drawn more often);
# 赵/鄢 are in because the article names 赵阳彩 (招商局) and 鄢中刚 (飞地办).
SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 "
    "石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 "
    "万 钱 严 覃 武 戴 莫 孔 向 汤 鄢 柯 储 冉 屈 党 雍"
).split()

GIVEN_CHARS = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玲 鹏 辉 斌 宇 浩 "
    "凯 健 俊 帆 帅 旭 宁 龙 林 欢 阳 建 亮 成 佳 晨 峰 波 雪 琳 红 燕 婷 瑞 博 文 志 国 兵 海 "
    "春 晓 梅 莉 彩 中 学 正 新 安 康 永 德 升 泽 思 怡 航 鑫 悦 楠 颖 蕾 璐 蓉 倩 婧 振 立 家"
).split()

# The article's two commended cadres: (name, base department name).
ARTICLE_CADRES = (("赵阳彩", "招商局"), ("鄢中刚", "飞地办"))

# Base departments of one district: (name, class, leads key projects, leads demolition groups).
# The 70% key-indicator rule applies to `economic`; `agri` (社区管理局, 临空办 ...) gets the
# special, heavier party-building weighting the article describes.
BASE_DEPARTMENTS = (
    ("招商局", "economic", True, False),
    ("飞地办", "economic", True, False),
    ("经济发展局", "economic", True, False),
    ("科技创新局", "economic", True, False),
    ("财政局", "economic", False, False),
    ("住建局", "economic", True, True),
    ("统征办", "economic", True, True),
    ("自然资源分局", "economic", True, True),
    ("交通运输局", "economic", True, False),
    ("商务局", "economic", True, False),
    ("新材料产业园管理办", "economic", True, False),
    ("电子信息产业园管理办", "economic", True, False),
    ("富硒产业办", "economic", True, False),
    ("重点项目办", "economic", True, False),
    ("金融工作办", "economic", False, False),
    ("税务分局", "economic", False, False),
    ("党政办", "comprehensive", False, False),
    ("组织人事部", "comprehensive", False, False),
    ("纪检监察工委", "comprehensive", False, False),
    ("宣传统战部", "comprehensive", False, False),
    ("政法委", "comprehensive", False, False),
    ("教体局", "comprehensive", True, False),
    ("卫健局", "comprehensive", True, False),
    ("民政局", "comprehensive", False, False),
    ("人社局", "comprehensive", False, False),
    ("应急管理局", "comprehensive", False, False),
    ("市场监管分局", "comprehensive", False, False),
    ("生态环境分局", "comprehensive", False, False),
    ("城管局", "comprehensive", True, False),
    ("行政审批服务局", "comprehensive", False, False),
    ("信访办", "comprehensive", False, False),
    ("统计局", "comprehensive", False, False),
    ("审计局", "comprehensive", False, False),
    ("机关事务服务中心", "comprehensive", False, False),
    ("绿化办", "comprehensive", True, False),
    ("督查考核办", "comprehensive", False, False),
    ("社区管理局", "agri", True, True),
    ("临空办", "agri", True, True),
    ("农业农村局", "agri", True, False),
    ("乡村振兴局", "agri", False, False),
)

# County-level names used as prefixes when one "district" is not enough (city, province).
COUNTIES = (
    "汉滨区 汉阴县 石泉县 宁陕县 紫阳县 岚皋县 平利县 镇坪县 旬阳市 白河县 高新区 恒口示范区 "
    "新城区 碑林区 莲湖区 灞桥区 未央区 雁塔区 阎良区 临潼区 长安区 高陵区 鄠邑区 蓝田县 周至县 "
    "王益区 印台区 耀州区 宜君县 渭滨区 金台区 陈仓区 凤翔区 岐山县 扶风县 眉县 陇县 千阳县 "
    "麟游县 凤县 太白县 秦都区 杨陵区 渭城区 三原县 泾阳县 乾县 礼泉县 永寿县 长武县 旬邑县 "
    "淳化县 武功县 兴平市 彬州市 临渭区 华州区 潼关县 大荔县 合阳县 澄城县 蒲城县 白水县 富平县 "
    "韩城市 华阴市 宝塔区 安塞区 延长县 延川县 志丹县 吴起县 甘泉县 富县 洛川县 宜川县 黄龙县 "
    "黄陵县 子长市 汉台区 南郑区 城固县 洋县 西乡县 勉县 宁强县 略阳县 镇巴县 留坝县 佛坪县 "
    "榆阳区 横山区 府谷县 靖边县 定边县 绥德县 米脂县 佳县 吴堡县 清涧县 子洲县 神木市 商州区 "
    "洛南县 丹凤县 商南县 山阳县 镇安县 柞水县"
).split()

# Zones are named by village; the first seven are the district's own.
DISTRICT_VILLAGES = ("张岭村", "五里村", "谭坝村", "施家沟村", "牌楼村", "东坝村", "建民村")
VILLAGE_HEADS = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 罗 郑 谢 宋 唐 韩 冯 邓 曹 彭 田 董".split()
VILLAGE_TAILS = "家沟 家湾 家坪 家岭 家坝 家河 家庄 家营 家堡 家寨 家院 家梁 家坡 家台 家垭".split()

# Key projects: the article's roads and school first, then combinations.
NAMED_PROJECTS = (
    ("新时代大道建设工程", "住建局"),
    ("新安康大道建设工程", "住建局"),
    ("秦岭大道北段建设工程", "交通运输局"),
    ("汉滨初中高新校区", "教体局"),
)
PROJECT_PLACES = "高新区 月河 汉江 秦巴 安康 恒口 张岭 五里 关庙 建民 吉河 大同".split()
PROJECT_THINGS = (
    "电子信息产业园 新型材料产业园 富硒食品加工园 标准化厂房 人才公寓 污水处理厂 综合管廊 "
    "安置小区 九年制学校 社区医院 物流园 数据中心 城市道路 滨江公园 农贸市场 冷链仓储中心 "
    "孵化器 供水管网 充电站 体育中心"
).split()
PROJECT_PHASES = ("一期", "二期", "三期", "建设项目", "提升改造工程", "配套工程")

# Texts for events, kept short and GBK-safe.
DEDUCTION_REASONS = (
    "工作台账未按时报送",
    "专项检查发现问题未按期整改",
    "被市级通报批评",
    "责任落实不到位",
    "会议精神传达学习不及时",
)
CADRE_REASONS = (
    ("重点工作推进不力", -1),
    ("工作失误被通报", -2),
    ("信息报送迟报漏报", -0.5),
    ("重点项目服务保障成效突出", 1),
    ("工作经验被市级推广", 2),
)
FREE_REASONS = (
    ("获省级表彰", 3),
    ("获市级表彰", 2),
    ("工作经验被省级推广", 2),
    ("重点工作被市级通报批评", -2),
    ("安全生产责任事故", -5),
    ("营商环境被投诉查实", -1),
)
COMMENDATION_BASIS = (
    "招商引资业绩突出",
    "重点项目建设成效显著",
    "征地拆迁工作表现突出",
    "经济运行工作成绩优异",
    "安全生产工作表现突出",
)
NOTES = (
    "含省级资金",
    '较上月增加,主要为"飞地经济"项目资金到位',
    "数据已经分管领导审核",
    "统计口径同上年",
)
