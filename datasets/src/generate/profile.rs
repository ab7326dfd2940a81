//! What makes the synthetic city look like Wenzhou: the size and skill level of each
//! district, its industries, what each industry employs, and names.
//!
//! Codes missing here get neutral defaults, so a reference folder of another city still
//! generates (with a flatter structure).

/// A district's share of the city's employment, its skill effect and its industries.
pub(crate) struct DistrictProfile {
    pub code: &'static str,
    pub weight: f64,
    /// Shift of the ordered-logit ladder draw (positive = more skilled).
    pub skill: f64,
    /// Share of mobile assessments (the far counties use the app more).
    pub mobile: f64,
    pub industries: &'static [(&'static str, f64)],
}

#[rustfmt::skip]
pub(crate) const DISTRICTS: &[DistrictProfile] = &[
    district("330302", 10.0, 0.15, 0.55, &[("鞋革制造", 3.0), ("汽车服务", 2.0), ("保险服务", 2.0), ("建筑安装", 1.0), ("机械加工", 1.0)]),
    district("330303", 8.0, 0.30, 0.55, &[("泵阀制造", 3.0), ("激光装备制造", 2.0), ("机械加工", 2.0), ("汽摩配件制造", 1.0), ("鞋革制造", 1.0)]),
    district("330304", 9.0, 0.10, 0.55, &[("鞋革制造", 3.0), ("机械加工", 2.0), ("汽摩配件制造", 1.0), ("激光装备制造", 1.0)]),
    district("330305", 1.0, -0.25, 0.65, &[("建筑安装", 1.0), ("汽车服务", 1.0)]),
    district("330324", 5.0, -0.10, 0.60, &[("泵阀制造", 5.0), ("机械加工", 1.0)]),
    district("330326", 5.0, -0.05, 0.60, &[("鞋革制造", 2.0), ("机械加工", 2.0), ("汽摩配件制造", 1.0)]),
    district("330327", 4.0, -0.15, 0.65, &[("建筑安装", 2.0), ("机械加工", 1.0), ("汽车服务", 1.0)]),
    district("330328", 1.0, -0.50, 0.75, &[("建筑安装", 2.0), ("汽车服务", 1.0)]),
    district("330329", 1.0, -0.50, 0.75, &[("建筑安装", 2.0), ("汽车服务", 1.0)]),
    district("330381", 10.0, 0.10, 0.60, &[("汽摩配件制造", 5.0), ("机械加工", 2.0), ("鞋革制造", 1.0), ("保险服务", 0.5)]),
    district("330382", 12.0, 0.35, 0.60, &[("电气设备制造", 6.0), ("激光装备制造", 1.0), ("机械加工", 2.0), ("汽车服务", 1.0)]),
    district("330383", 3.0, 0.0, 0.60, &[("机械加工", 2.0), ("建筑安装", 1.0)]),
];

const fn district(
    code: &'static str,
    weight: f64,
    skill: f64,
    mobile: f64,
    industries: &'static [(&'static str, f64)],
) -> DistrictProfile {
    DistrictProfile {
        code,
        weight,
        skill,
        mobile,
        industries,
    }
}

/// Districts whose electrical trades are notably more skilled (the electrical-equipment
/// cluster of 乐清 and the development zone of 龙湾).
pub(crate) const ELECTRICAL_HUBS: &[&str] = &["330382", "330303"];
/// Occupations that count as electrical trades for [`ELECTRICAL_HUBS`].
pub(crate) const ELECTRICAL: &[&str] = &["6-31-01-03", "6-24-02-02", "6-25-04-04"];

/// An industry: how enterprise names end and which occupations it employs.
pub(crate) struct IndustryProfile {
    pub name: &'static str,
    pub suffixes: &'static [&'static str],
    pub occupations: &'static [(&'static str, f64)],
}

#[rustfmt::skip]
pub(crate) const INDUSTRIES: &[IndustryProfile] = &[
    IndustryProfile {
        name: "电气设备制造",
        suffixes: &["电气有限公司", "电器股份有限公司", "开关有限公司"],
        occupations: &[("6-24-02-02", 4.0), ("6-31-01-03", 3.0), ("6-20-01-01", 2.0), ("6-18-02-04", 1.0)],
    },
    IndustryProfile {
        name: "激光装备制造",
        suffixes: &["激光科技有限公司", "激光设备股份有限公司"],
        occupations: &[("6-25-04-04", 5.0), ("6-31-01-03", 2.0), ("6-20-01-01", 2.0), ("6-18-01-01", 1.0)],
    },
    IndustryProfile {
        name: "鞋革制造",
        suffixes: &["鞋业有限公司", "鞋服有限公司"],
        occupations: &[("6-05-04-01", 8.0), ("6-31-01-02", 1.0), ("6-31-01-03", 1.0)],
    },
    IndustryProfile {
        name: "汽摩配件制造",
        suffixes: &["汽车部件有限公司", "汽配有限公司"],
        occupations: &[("6-18-01-01", 3.0), ("6-18-01-02", 2.0), ("6-18-02-04", 2.0), ("6-20-01-01", 2.0), ("6-20-01-02", 1.0)],
    },
    IndustryProfile {
        name: "泵阀制造",
        suffixes: &["阀门有限公司", "泵业有限公司"],
        occupations: &[("6-18-01-01", 3.0), ("6-18-02-04", 3.0), ("6-20-01-01", 2.0), ("6-31-01-02", 1.0)],
    },
    IndustryProfile {
        name: "机械加工",
        suffixes: &["机械有限公司", "精密机械有限公司", "模具有限公司"],
        occupations: &[("6-18-01-01", 3.0), ("6-18-01-02", 3.0), ("6-20-01-02", 2.0), ("6-31-01-02", 2.0), ("6-18-02-04", 1.0)],
    },
    IndustryProfile {
        name: "汽车服务",
        suffixes: &["汽车服务有限公司", "汽车维修有限公司"],
        occupations: &[("4-12-01-01", 8.0), ("6-31-01-03", 1.0)],
    },
    IndustryProfile {
        name: "保险服务",
        suffixes: &["保险代理有限公司", "财产保险温州中心支公司"],
        occupations: &[("2-06-10-03", 10.0)],
    },
    IndustryProfile {
        name: "建筑安装",
        suffixes: &["建设有限公司", "机电安装有限公司"],
        occupations: &[("6-31-01-03", 4.0), ("6-18-02-04", 3.0)],
    },
];

/// An occupation's skill effect, women's share, positions and labour-market tightness.
pub(crate) struct OccupationProfile {
    pub code: &'static str,
    pub skill: f64,
    pub female: f64,
    /// Openings per job seeker in the talent-demand data (above 1 = shortage).
    pub shortage: f64,
    pub positions: &'static [&'static str],
}

#[rustfmt::skip]
pub(crate) const OCCUPATIONS: &[OccupationProfile] = &[
    occupation("6-31-01-03", 0.25, 0.05, 2.2, &["维修电工", "电气安装", "配电运维"]),
    occupation("6-18-02-04", 0.0, 0.05, 2.5, &["焊接", "结构件焊接", "管道焊接"]),
    occupation("6-18-01-01", 0.0, 0.08, 1.8, &["数控车床操作", "车削加工"]),
    occupation("6-18-01-02", 0.0, 0.08, 1.7, &["数控铣削", "铣削加工"]),
    occupation("6-20-01-01", 0.0, 0.12, 1.5, &["机械装配", "总装"]),
    occupation("6-20-01-02", 0.1, 0.05, 1.6, &["模具钳工", "工装制作"]),
    occupation("6-31-01-02", 0.2, 0.05, 1.6, &["设备维修", "机修"]),
    occupation("6-24-02-02", 0.1, 0.20, 1.4, &["成套装配", "电气装配", "二次接线"]),
    occupation("6-25-04-04", 0.15, 0.10, 2.0, &["电气装配", "整机调试", "售后服务"]),
    occupation("6-05-04-01", -0.4, 0.55, 0.9, &["帮面缝制", "成型", "裁断"]),
    occupation("4-12-01-01", 0.0, 0.06, 1.3, &["机电维修", "钣金", "维修接待"]),
    occupation("2-06-10-03", -0.1, 0.50, 0.45, &["车险查勘", "理赔定损", "核赔"]),
];

const fn occupation(
    code: &'static str,
    skill: f64,
    female: f64,
    shortage: f64,
    positions: &'static [&'static str],
) -> OccupationProfile {
    OccupationProfile {
        code,
        skill,
        female,
        shortage,
        positions,
    }
}

/// Common surnames, with Wenzhou's frequent ones (陈, 林, 黄, 郑, 叶, 潘, 金) weighted up.
#[rustfmt::skip]
pub(crate) const SURNAMES: &[(&str, f64)] = &[
    ("陈", 10.0), ("林", 6.0), ("王", 6.0), ("张", 5.0), ("李", 5.0), ("黄", 5.0),
    ("周", 4.0), ("郑", 4.0), ("叶", 3.5), ("潘", 3.0), ("金", 3.0), ("吴", 3.0),
    ("徐", 3.0), ("朱", 2.5), ("胡", 2.0), ("刘", 2.0), ("杨", 2.0), ("赵", 1.5),
    ("孙", 1.0), ("何", 1.5), ("戴", 1.5), ("章", 1.5), ("薛", 1.0), ("池", 1.0),
];

/// Given-name characters more often used for men.
#[rustfmt::skip]
pub(crate) const MALE_CHARS: &[&str] = &[
    "明", "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "超", "刚", "建", "国", "海",
    "峰", "斌", "俊", "辉", "鹏", "浩", "宇", "晨", "成", "立", "新", "波", "华", "平",
];

/// Given-name characters more often used for women.
#[rustfmt::skip]
pub(crate) const FEMALE_CHARS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "秀", "霞", "燕", "婷", "雪", "琳", "红",
    "玲", "萍", "洁", "慧", "莉", "晓", "颖", "华", "平", "英",
];

/// Characters of enterprise trade names (字号).
#[rustfmt::skip]
pub(crate) const BRAND_CHARS: &[&str] = &[
    "宏", "正", "德", "力", "华", "信", "瑞", "泰", "源", "恒", "通", "威", "星", "鑫",
    "丰", "创", "新", "联", "安", "捷", "奔", "腾", "天", "顺", "达", "凯", "盛", "欧",
];

/// Who issues a certificate of a national level: third-party evaluation
/// organisations, vocational schools and (added per enterprise) self-evaluation.
pub(crate) const ISSUERS: &[(&str, f64)] = &[
    ("温州市职业技能鉴定指导中心", 3.0),
    ("温州技师学院", 2.0),
    ("温州职业技术学院", 1.5),
    ("浙江省人力资源和社会保障厅", 1.0),
];

/// Issuer of the ladder's steps above 高级技师.
pub(crate) const TOP_ISSUER: &str = "温州市人力资源和社会保障局";
/// Issuer of an apprenticeship certificate outside an enterprise.
pub(crate) const APPRENTICE_ISSUER: &str = "温州市总工会";

/// Sources of talent-demand figures.
pub(crate) const DEMAND_SOURCES: &[(&str, f64)] = &[
    ("温州市人力资源市场供求监测", 5.0),
    ("企业用工需求调查", 3.0),
    ("网络招聘平台", 2.0),
];

pub(crate) fn district_profile(code: &str) -> Option<&'static DistrictProfile> {
    DISTRICTS.iter().find(|d| d.code == code)
}

pub(crate) fn occupation_profile(code: &str) -> Option<&'static OccupationProfile> {
    OCCUPATIONS.iter().find(|o| o.code == code)
}
