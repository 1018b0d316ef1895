"""Indicator extraction: one row per text shape (expected value/unit/comparator/name), plus negatives."""

import pytest

from nlp.indicators import extract_indicators, tag_indicators
from nlp.model import Item, Plan

# (text, [(name, comparator, value, value_max, unit), ...])
CASES = [
    (
        "3岁以下儿童系统管理率和7岁以下儿童健康管理率均达到90%以上。",
        [("3岁以下儿童系统管理率", ">=", 90, None, "%"), ("7岁以下儿童健康管理率", ">=", 90, None, "%")],
    ),
    (
        "5岁以下儿童死亡率、婴儿死亡率和新生儿死亡率分别控制在6‰、5‰和3‰以下",
        [
            ("5岁以下儿童死亡率", "<=", 6, None, "‰"),
            ("婴儿死亡率", "<=", 5, None, "‰"),
            ("新生儿死亡率", "<=", 3, None, "‰"),
        ],
    ),
    (
        "5岁以下儿童死亡率、婴儿死亡率和新生儿死亡率分别控制在6‰5‰3‰以下",  # separators lost
        [
            ("5岁以下儿童死亡率", "<=", 6, None, "‰"),
            ("婴儿死亡率", "<=", 5, None, "‰"),
            ("新生儿死亡率", "<=", 3, None, "‰"),
        ],
    ),
    (
        "5岁以下儿童贫血患病率和生长迟缓率分别控制在10%5%以下。",
        [("5岁以下儿童贫血患病率", "<=", 10, None, "%"), ("5岁以下儿童生长迟缓率", "<=", 5, None, "%")],
    ),
    (
        "适龄儿童免疫规划疫苗接种率以乡(镇、街道)为单位达到95%以上",
        [("适龄儿童免疫规划疫苗接种率", ">=", 95, None, "%")],
    ),
    (
        "儿童新发近视率明显下降,小学生近视率降至38%以下",
        [("儿童新发近视率", "decrease", None, None, None), ("小学生近视率", "<=", 38, None, "%")],
    ),
    ("学前三年毛入园率达到92%", [("学前三年毛入园率", ">=", 92, None, "%")]),
    ("义务教育巩固率继续稳定在98%以上", [("义务教育巩固率", ">=", 98, None, "%")]),
    ("新生儿访视率保持在90%以上", [("新生儿访视率", ">=", 90, None, "%")]),
    ("12岁儿童龋患率控制在25%以内。", [("12岁儿童龋患率", "<=", 25, None, "%")]),
    ("儿童伤害死亡率以2020年为基数下降20%", [("儿童伤害死亡率", "decrease_by", 20, None, "%")]),
    ("儿童溺水死亡率持续下降。", [("儿童溺水死亡率", "decrease", None, None, None)]),
    ("提高危重新生儿抢救成功率。", [("危重新生儿抢救成功率", "increase", None, None, None)]),
    ("儿童违法犯罪率降低,对儿童违法犯罪实行分级干预", [("儿童违法犯罪率", "decrease", None, None, None)]),
    (
        "提高农村集中供水率、自来水普及率和供水保证率。",
        [
            ("农村集中供水率", "increase", None, None, None),
            ("农村自来水普及率", "increase", None, None, None),
            ("农村供水保证率", "increase", None, None, None),
        ],
    ),
    ("确保财政一般公共预算教育支出逐年增加", [("财政一般公共预算教育支出", "increase", None, None, None)]),
    ("实现农村卫生厕所全覆盖。", [("农村卫生厕所覆盖率", "==", 100, None, "%")]),
    ("力争到2025年实现义务教育学校免试就近入学全覆盖", [("义务教育学校免试就近入学覆盖率", "==", 100, None, "%")]),
    ("每千人拥有3岁以下婴幼儿托位数达到4.5个以上。", [("每千人拥有3岁以下婴幼儿托位数", ">=", 4.5, None, "个")]),
    (
        "每千名儿童拥有执业(助理)医生达1名、床位增至2.8张。",
        [("每千名儿童拥有执业(助理)医生数", ">=", 1, None, "名"), ("每千名儿童拥有床位数", ">=", 2.8, None, "张")],
    ),
    (  # the per of the first target is shared, in the name too (每千人口 → 每千人 is the per)
        "每千人口拥有执业(助理)医师达2.5人、床位增至6张。",
        [("每千人口拥有执业(助理)医师数", ">=", 2.5, None, "人"), ("每千人口拥有床位数", ">=", 6, None, "张")],
    ),
    (  # negative: a second target with its own per keeps it; one after a target without a per gets none
        "每千人口拥有执业(助理)医师数达到3.2人、每万人口全科医生数达到3名。",
        [("每千人口拥有执业(助理)医师数", ">=", 3.2, None, "人"), ("每万人口全科医生数", ">=", 3, None, "名")],
    ),
    (
        "孕产妇系统管理率达到90%以上、住院分娩率达到98%以上。",
        [("孕产妇系统管理率", ">=", 90, None, "%"), ("住院分娩率", ">=", 98, None, "%")],
    ),
    ("市、县级至少设置1个危重新生儿救治中心,加强能力建设", [("危重新生儿救治中心数", ">=", 1, None, "个")]),
    ("力争十四五期末每个区县3-5家社会组织参与各类儿童关爱保护工作", [("社会组织数", ">=", 3, 5, "家")]),
    ("鼓励儿童参与户外活动,每天接触户外自然光不少于1小时", [("每天接触户外自然光时间", ">=", 1, None, "小时")]),
    (
        "保障儿童每天校内校外各1小时体育活动",
        [("校内体育活动时间", ">=", 1, None, "小时"), ("校外体育活动时间", ">=", 1, None, "小时")],
    ),
    (
        "保证每天小学生10小时初中生9小时高中生8小时睡眠时间",
        [
            ("小学生睡眠时间", ">=", 10, None, "小时"),
            ("初中生睡眠时间", ">=", 9, None, "小时"),
            ("高中生睡眠时间", ">=", 8, None, "小时"),
        ],
    ),
    ("逐步将项目监测对象从6-24月龄延伸到6-36月龄婴幼儿", [("项目监测对象月龄上限", "==", 36, None, "月龄")]),
    (
        "艾滋病、梅毒和乙肝感染孕产妇所生儿童治疗率达到95%以上",
        [("艾滋病、梅毒和乙肝感染孕产妇所生儿童治疗率", ">=", 95, None, "%")],
    ),
]

# Shapes of real plans from elsewhere (tests/fixtures/clean_excerpts/README.md names the sources).
CASES += [
    ("18岁以下儿童伤害死亡率以2010年为基数下降1/6。", [("18岁以下儿童伤害死亡率", "decrease_by", 16.67, None, "%")]),
    ("━━孕产妇死亡率以2000年为基数下降1/4。", [("孕产妇死亡率", "decrease_by", 25, None, "%")]),
    ("——低出生体重发生率控制在5%以下。", [("低出生体重发生率", "<=", 5, None, "%")]),
    ("高中生近视率达到八成以上", [("高中生近视率", ">=", 80, None, "%")]),
    (
        "每学期至少组织一次家庭教育指导和两次家庭教育实践活动",
        [("家庭教育指导次数", ">=", 1, None, "次"), ("家庭教育实践活动次数", ">=", 2, None, "次")],
    ),
    ("原则上配备2名专业从事儿童保健的医生", [("医生数", ">=", 2, None, "名")]),
    ("中小学生每年进行一次体检,建立学生健康档案。", [("体检次数", ">=", 1, None, "次")]),
    ("学校保证中小学生每天至少一小时的体育锻炼时间。", [("体育锻炼时间", ">=", 1, None, "小时")]),
    (
        "到2023年,力争实现全国儿童青少年总体近视率在2018年的基础上每年降低0.5个百分点以上",
        [("全国儿童青少年总体近视率", "decrease_by", 0.5, None, "个百分点")],
    ),
    (
        "━━婚前医学检查率城市达到80%,农村达到50%。",
        [("婚前医学检查率", ">=", 80, None, "%"), ("婚前医学检查率", ">=", 50, None, "%")],
    ),
    ("积极倡导母乳喂养,0~6个月婴儿纯母乳喂养率达50%以上。", [("0~6个月婴儿纯母乳喂养率", ">=", 50, None, "%")]),
    # the counted noun ends where a new sentence opens (its stop lost) and leaves a tail (以上) to the comparator
    ("原则上配备2名专业从事儿童保健的医生加强儿童医学学科建设", [("医生数", ">=", 2, None, "名")]),
    (
        "每学期至少组织一次家庭教育指导和两次家庭教育实践活动鼓励支持公共文化服务场所开展",
        [("家庭教育指导次数", ">=", 1, None, "次"), ("家庭教育实践活动次数", ">=", 2, None, "次")],
    ),
    ("每年开展1次以上家庭教育宣传活动", [("家庭教育宣传活动次数", ">=", 1, None, "次")]),
    ("至少配备1名专职心理健康教育教师", [("专职心理健康教育教师数", ">=", 1, None, "名")]),  # no opener: whole
    # fractions written in words (N分之M: the denominator first), as a share and as a relative change
    (
        "18岁以下儿童伤害死亡率以2010年为基数下降六分之一。",
        [("18岁以下儿童伤害死亡率", "decrease_by", 16.67, None, "%")],
    ),
    ("农村适龄儿童入园率达到三分之二以上。", [("农村适龄儿童入园率", ">=", 66.67, None, "%")]),
    ("严重出生缺陷发生率降至万分之九以下。", [("严重出生缺陷发生率", "<=", 0.09, None, "%")]),
    ("学前教育毛入园率达到百分之九十五。", [("学前教育毛入园率", ">=", 95, None, "%")]),
    # a rate per population (N/10万) is a value with its unit, not a fraction
    ("孕产妇死亡率下降到15/10万以下。", [("孕产妇死亡率", "<=", 15, None, "1/10万")]),
]

# every measured quantity, not only rates: 比例, 数量 (a text with no digit and no 率 was not read at all), verb first
# or after, with a name up to max_name long; a comma before another verb-first target ends the first one's names
CASES += [
    ("学校标准化建设水平提高,薄弱学校数量减少。", [("薄弱学校数量", "decrease", None, None, None)]),
    ("减少贫困妇女数量。", [("贫困妇女数量", "decrease", None, None, None)]),
    ("增加城市公办幼儿园数量,农村每个乡镇建立", [("城市公办幼儿园数量", "increase", None, None, None)]),
    ("提高妇女经常参加体育锻炼的人数比例。", [("妇女经常参加体育锻炼的人数比例", "increase", None, None, None)]),
    (
        "提高宫颈癌和乳腺癌的早诊早治率,降低死亡率。",
        [("宫颈癌和乳腺癌的早诊早治率", "increase", None, None, None), ("死亡率", "decrease", None, None, None)],
    ),
    (
        "降低新生儿窒息和5岁以下儿童肺炎、腹泻等构成主要死因的死亡率。",
        [("新生儿窒息和5岁以下儿童肺炎、腹泻等构成主要死因的死亡率", "decrease", None, None, None)],
    ),
    ("提升住院分娩率达到95%", [("住院分娩率", ">=", 95, None, "%")]),  # the rate is the subject of 达到: one target
]

# a clause word inside the name is part of it: before a metric word or a coordinator (知识知晓率, 建立率, 措施比例),
# or the verb of a relative clause whose 的 leads the metric; a real lost stop still starts the name after it
CASES += [
    ("--妇女卫生保健知识知晓率提高。", [("妇女卫生保健知识知晓率", "increase", None, None, None)]),
    (
        "提高妇女心理健康知识和精神疾病预防知识知晓率。",
        [("妇女心理健康知识和精神疾病预防知识知晓率", "increase", None, None, None)],
    ),
    ("提高儿童法律援助分支机构建立率", [("儿童法律援助分支机构建立率", "increase", None, None, None)]),
    ("提高托儿所、幼儿园卫生保健指导率。", [("托儿所、幼儿园卫生保健指导率", "increase", None, None, None)]),
    ("提高妇女对营养标签的知晓率,促进妇女学习", [("妇女对营养标签的知晓率", "increase", None, None, None)]),
    (
        "配备专兼职心理健康工作人员的中小学比例达到100%",
        [("配备专兼职心理健康工作人员的中小学比例", ">=", 100, None, "%")],
    ),
    (
        "对感染艾滋病和梅毒的孕产妇及所生儿童采取预防母婴传播干预措施比例均达到90%以上",
        [("感染艾滋病和梅毒的孕产妇及所生儿童采取预防母婴传播干预措施比例", ">=", 90, None, "%")],
    ),
    # negative rows: a lost stop after a clause verb or noun still cuts the clause off the name
    ("加强妇幼保健机构建设孕产妇系统管理率达到90%", [("孕产妇系统管理率", ">=", 90, None, "%")]),
    ("推广科学育儿知识婴儿纯母乳喂养率达到50%", [("婴儿纯母乳喂养率", ">=", 50, None, "%")]),
]

# ranges after a target verb: value and value_max, the verb's comparator; a list of values stays a list
CASES += [
    ("中小学生视力不良率控制在30%-40%", [("中小学生视力不良率", "<=", 30, 40, "%")]),
    ("中小学生视力不良率控制在30-40%", [("中小学生视力不良率", "<=", 30, 40, "%")]),
    (
        "力争实现儿童青少年总体近视率在2020年基础上每年降低0.5到1个百分点;",
        [("儿童青少年总体近视率", "decrease_by", 0.5, 1, "个百分点")],
    ),
    ("儿童伤害死亡率下降10%-20%", [("儿童伤害死亡率", "decrease_by", 10, 20, "%")]),
    # negative rows: a rate per population is no range, and a year after a value is no upper end
    ("孕产妇死亡率下降到15/10万以下", [("孕产妇死亡率", "<=", 15, None, "1/10万")]),
    ("新生儿访视率达到90%~2025年", [("新生儿访视率", ">=", 90, None, "%")]),
]

# a head written once over parallel members (groups, or words like 三级/二级) gives one name per member when the
# values (or 分别) say there is one target each
CASES += [
    (
        "新生儿、婴儿和5岁以下儿童死亡率分别降至2‰、3.5‰和5‰及以下",
        [
            ("新生儿死亡率", "<=", 2, None, "‰"),
            ("婴儿死亡率", "<=", 3.5, None, "‰"),
            ("5岁以下儿童死亡率", "<=", 5, None, "‰"),
        ],
    ),
    (
        "婴儿和5岁以下儿童死亡率以2000年为基数分别下降1/5。",
        [("婴儿死亡率", "decrease_by", 20, None, "%"), ("5岁以下儿童死亡率", "decrease_by", 20, None, "%")],
    ),
    (
        "三级和二级妇幼保健院开展中医药门诊服务的比例分别达到100%和60%以上。",
        [
            ("三级妇幼保健院开展中医药门诊服务的比例", ">=", 100, None, "%"),
            ("二级妇幼保健院开展中医药门诊服务的比例", ">=", 60, None, "%"),
        ],
    ),
    (
        "城市和农村孕产妇住院分娩率分别达到98%和95%",
        [("城市孕产妇住院分娩率", ">=", 98, None, "%"), ("农村孕产妇住院分娩率", ">=", 95, None, "%")],
    ),
    # negative rows: one target for the whole list without 分别, and members that are no parallel groups
    ("降低婴儿和5岁以下儿童死亡率", [("婴儿和5岁以下儿童死亡率", "decrease", None, None, None)]),
    (
        "艾滋病、梅毒和乙肝感染孕产妇所生儿童治疗率分别达到95%以上",
        [("艾滋病、梅毒和乙肝感染孕产妇所生儿童治疗率", ">=", 95, None, "%")],
    ),
]

# counts: a subject noun after a modifier is the counted thing's head, a target verb ends it, 办好 is a count verb,
# and a per-period duration needs no verb (每天一小时…)
CASES += [
    ("每个县至少建设1所特殊教育学校", [("特殊教育学校数", ">=", 1, None, "所")]),
    (
        "各州、市、县、区至少有1个危重新生儿救治中心达到国家建设标准要求。",
        [("危重新生儿救治中心数", ">=", 1, None, "个")],
    ),
    ("每个乡镇至少办好一所公办中心幼儿园,大村独立建园", [("公办中心幼儿园数", ">=", 1, None, "所")]),
    ("保证学生睡眠时间和每天一小时校园体育活动,减少", [("校园体育活动时间", ">=", 1, None, "小时")]),
    ("每周至少1次家长会", [("家长会次数", ">=", 1, None, "次")]),
    # negative row: a verb opener still ends the counted noun where its stop was lost
    ("原则上配备2名专业从事儿童保健的医生加强儿童医学学科建设", [("医生数", ">=", 2, None, "名")]),
]

# life expectancy is a measured quantity and 延长 its direction
CASES += [
    (
        "妇女在整个生命周期享有良好的基本医疗卫生服务,妇女的人均预期寿命延长。",
        [("妇女的人均预期寿命", "increase", None, None, None)],
    ),
]

NEGATIVES = [
    "扎实开展0-6岁儿童健康管理工作",  # an age band is not a target
    "2025年,儿童优先的社会风尚普遍形成",  # a year is not a target
    "加强3-5岁学龄前儿童营养改善工作",
    "12岁以下儿童不得单独乘坐",
    "关注生命早期1000天营养",
    "6个月内婴儿纯母乳喂养",  # 6个月 is a period, not a count of 个
    "儿童健康素养水平提升",  # 水平 is too vague to be a measured quantity
    "提高侵害儿童权益违法犯罪行为的打击效率",  # 效率 is not a rate target
    "提供儿童保护方面的咨询、帮助",
    "1.加强儿童保健服务和管理",  # item numbers
    "推进一体化发展,统一部署、统一安排",  # 一 inside words is no numeral
    "坚持一切从实际出发",
    "第一次全国代表大会",  # an ordinal, not a count
    "其中三分之一以上的学校开设课程",  # a fraction without a target verb is no target
    "儿童约占全市人口的五分之一",
    "逐年增加财力投入,加入农村自来水建设",  # 增加 without a measured quantity
    "增加森林和绿地面积",
    "减少中小学生超重/肥胖、近视和龋齿的发生",
    "延长服务时间",  # 延长 is a direction only after a measured quantity
    "好少年儿童作为一项战略性、基础性工作",  # 作为 is no target verb 为
    "截至2020年,儿童健康状况持续改善,婴儿、5岁以下儿童死亡率分别下降至1.92‰、3.61‰。",  # reached, no target
]


@pytest.mark.parametrize("text,expected", CASES)
def test_shapes(text, expected):
    got = [(r.name, r.comparator, r.value, r.value_max, r.unit) for r in extract_indicators(text)]
    assert got == [
        (n, c, None if v is None else float(v), None if m is None else float(m), u) for n, c, v, m, u in expected
    ]


@pytest.mark.parametrize("text", NEGATIVES)
def test_not_targets(text):
    assert extract_indicators(text) == []


def test_spans_point_into_text():
    text = "儿童健康素养水平提升,3岁以下儿童系统管理率和7岁以下儿童健康管理率均达到90%以上。"
    for r in extract_indicators(text):
        assert text[r.span[0] : r.span[1]] == r.raw
        assert r.raw.startswith("3岁以下") and r.raw.endswith("90%以上")


@pytest.mark.parametrize(
    "text,field,value",
    [
        ("适龄儿童免疫规划疫苗接种率以乡(镇、街道)为单位达到95%以上", "scope", "以乡(镇、街道)为单位"),
        ("小学生近视率降至38%以下", "scope", "小学生"),
        ("每千人拥有3岁以下婴幼儿托位数达到4.5个以上", "per", "每千人"),
        ("力争十四五期末每个区县3-5家社会组织参与", "per", "每个区县"),
        ("儿童伤害死亡率以2020年为基数下降20%", "baseline", "以2020年为基数"),
        ("儿童伤害死亡率以2020年为基数下降20%", "year", 2025),
        ("到2023年,学前三年毛入园率达到90%", "year", 2023),
        ("十四五期末学前三年毛入园率达到92%", "year", 2025),
        ("儿童伤害死亡率以2020年为基数下降20%", "baseline_year", 2020),
        ("儿童伤害死亡率以2020年数据为基数下降20%", "baseline_year", 2020),
        ("儿童伤害死亡率比2020年下降20%", "baseline_year", 2020),
        ("总体近视率在2018年的基础上每年降低0.5个百分点以上", "baseline_year", 2018),
        ("总体近视率在2018年的基础上每年降低0.5个百分点以上", "per", "每年"),
        ("到2023年,近视率每年降低0.5个百分点。到2030年,小学生近视率下降到38%以下", "year", 2023),
        ("每千名儿童拥有执业(助理)医生达1名", "per", "每千名儿童"),
        ("孕产妇保健覆盖率在城市达到90%以上,在农村达到60%以上", "scope", "城市"),
        ("学校每学期至少组织一次家长会", "raw", "至少组织一次家长会"),
        ("每个县至少建设1所特殊教育学校", "per", "每个县"),
        ("保证学生睡眠时间和每天一小时校园体育活动", "per", "每天"),
    ],
)
def test_attributes(text, field, value):
    assert getattr(extract_indicators(text)[0], field) == value


@pytest.mark.parametrize(
    "text,want",
    [
        # a baseline leading the sentence, apart from the target by a comma, is the target's (and every later one's)
        ("以2010年为基数,5岁以下儿童死亡率下降1/6。", [2010]),
        ("以2020年数据为基数,儿童伤害死亡率下降20%", [2020]),
        ("以2010年为基数,孕产妇死亡率下降1/4,婴儿死亡率下降1/5。", [2010, 2010]),
        ("以2010年为基数5岁以下儿童死亡率下降1/6。", [2010]),  # no comma: as before
        ("到2010年全省孕产妇死亡率以2000年为基础下降1/4。", [2000]),  # 为基础 is a baseline too
        ("总体近视率在2018年的基础上每年降低0.5个百分点以上,近视高发省份每年降低1个百分点以上", [2018, 2018]),
        # negative rows: a deadline is no baseline, and a baseline does not cross a full stop
        ("在2025年前,儿童伤害死亡率下降20%", [None]),
        ("以2020年为基数,儿童伤害死亡率下降20%。孕产妇死亡率下降10%", [2020, None]),
        ("以2020年为基数,学前三年毛入园率达到90%", [None]),  # a level target has no baseline
    ],
)
def test_baseline_year_of_the_sentence(text, want):
    assert [r.baseline_year for r in extract_indicators(text)] == want


@pytest.mark.parametrize(
    "text,raws",
    [
        # the raw text starts where the name does, also when a year or a baseline inside the region was dropped
        ("九年义务教育巩固率2015年达到96%,2020年达到99%以上", ["九年义务教育巩固率2015年达到96%", "达到99%以上"]),
        ("全省婚前医学检查率到2005年城市要达到98%", ["婚前医学检查率到2005年城市要达到98%"]),
        ("到2010年全省孕产妇死亡率以2000年为基础下降1/4。", ["孕产妇死亡率以2000年为基础下降1/4"]),
        ("总体近视率在2018年的基础上每年降低0.5个百分点", ["总体近视率在2018年的基础上每年降低0.5个百分点"]),
        ("儿童伤害死亡率以2020年为基数下降20%", ["儿童伤害死亡率以2020年为基数下降20%"]),  # as before
    ],
)
def test_raw_starts_at_the_name(text, raws):
    got = extract_indicators(text)
    assert [r.raw for r in got] == raws
    assert all(text[r.span[0] : r.span[1]] == r.raw for r in got)


@pytest.mark.parametrize(
    "text,want",
    [
        # (name, value, unit, scope, year) per target: N/万 is a rate per 10 000; a 以…为单位 scope written before
        # the name or before its deadline leaves the name; a verb chained to the target verb is not in the name
        (
            "全省出生缺陷发生率到2005年要降至72/万;到2010年要降至70/万。",
            [("出生缺陷发生率", 72, "1/万", None, 2005), ("出生缺陷发生率", 70, "1/万", None, 2010)],
        ),
        (
            "全省新生儿疾病筛查覆盖率农村以县级助产机构为单位到2005年要达到60%;到2010年要达到80%。"
            "城市以助产机构为单位到2005年要达到80%;到2010年要达到100%。",
            [
                ("新生儿疾病筛查覆盖率", 60, "%", "农村", 2005),
                ("新生儿疾病筛查覆盖率", 80, "%", "农村", 2010),
                ("新生儿疾病筛查覆盖率", 80, "%", "城市", 2005),
                ("新生儿疾病筛查覆盖率", 100, "%", "城市", 2010),
            ],
        ),
        (
            "以乡镇为单位适龄儿童国家免疫规划疫苗接种率达到并保持在90%以上。",
            [("适龄儿童国家免疫规划疫苗接种率", 90, "%", "以乡镇为单位", 2010)],
        ),
        # negative rows: N/10万 keeps its unit, a fraction in words stays a percentage
        ("孕产妇死亡率下降到15/10万以下", [("孕产妇死亡率", 15, "1/10万", None, 2010)]),
        ("严重出生缺陷发生率降至万分之九以下。", [("严重出生缺陷发生率", 0.09, "%", None, 2010)]),
    ],
)
def test_units_scopes_and_years(text, want):
    assert [(r.name, r.value, r.unit, r.scope, r.year) for r in extract_indicators(text, 2010)] == want


def test_interim_years_each_their_own():
    text = "到2023年,近视率每年降低0.5个百分点。到2030年,小学生近视率下降到38%以下,初中生近视率下降到60%以下。"
    assert [(r.value, r.year) for r in extract_indicators(text, 2030)] == [(0.5, 2023), (38, 2030), (60, 2030)]


def test_interim_deadline_inside_the_name():
    text = "全省新生儿疾病筛查覆盖率到2005年要达到60%;到2010年要达到80%。"
    got = [(r.name, r.value, r.year) for r in extract_indicators(text, 2010)]
    assert got == [("新生儿疾病筛查覆盖率", 60, 2005), ("新生儿疾病筛查覆盖率", 80, 2010)]


def test_sub_target_mark_inside_a_name():
    got = extract_indicators("提高孕产妇保健水平 --孕产妇系统管理率达到90%以上")
    assert [(r.name, r.value) for r in got] == [("孕产妇系统管理率", 90)]


def test_second_scope_repeats_the_name():
    got = extract_indicators("孕产妇保健覆盖率在城市达到90%以上,在农村达到60%以上。")
    want = [("孕产妇保健覆盖率", "城市", 90), ("孕产妇保健覆盖率", "农村", 60)]
    assert [(r.name, r.scope, r.value) for r in got] == want


def test_tag_indicators_ids():
    item = Item(
        id="p:health-g2",
        plan="p",
        kind="goal",
        domain="儿童与健康",
        number=2,
        title="t",
        text="3岁以下儿童系统管理率和7岁以下儿童健康管理率均达到90%以上。",
        raw_text="",
        line=1,
        raw_start=0,
        raw_end=0,
    )
    plan = Plan(id="p", title="益阳市儿童发展规划(2021-2025年)", raw_text="", text="", items=[item])
    tag_indicators(plan)
    assert [i.id for i in item.indicators] == ["p:health-g2.i1", "p:health-g2.i2"]


def test_full_width_punctuation_reads_as_ascii():
    """Text handed to the extractor directly (not read by nlp.reader, which folds them first) may hold full-width
    marks: names must not start with one (escapes: the editing tools of this project fold them in source text)."""
    text = "以2010年为基数\uff0c5岁以下儿童死亡率下降1/6\uff1b每千名儿童拥有执业\uff08助理\uff09医生达1名"
    got = extract_indicators(text)
    assert [(r.name, r.baseline_year) for r in got] == [
        ("5岁以下儿童死亡率", 2010),
        ("每千名儿童拥有执业(助理)医生数", None),
    ]
    assert all(text[r.span[0] : r.span[1]] == r.raw for r in got) and "\uff08" in got[1].raw
