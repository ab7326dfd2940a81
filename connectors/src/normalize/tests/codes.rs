use super::super::Level;
use super::{codes, reason};

#[test]
fn region_is_found_by_code_full_name_and_short_name() {
    let codes = codes();
    for text in [
        "330382",
        " 330382 ",
        "\u{3000}330382\u{3000}",
        "３３０３８２",
        "乐清市",
        "乐清",
        " 乐清 ",
    ] {
        assert_eq!(codes.region(text).as_deref(), Ok("330382"), "{text}");
    }
    assert_eq!(codes.region("温州").as_deref(), Ok("330300"));
    assert_eq!(codes.region("洞头区").as_deref(), Ok("330305"));
    assert_eq!(codes.region_name("330382"), Some("乐清市"));
}

#[test]
fn ambiguous_region_names_are_rejected_with_the_candidates() {
    let codes = codes();
    let why = reason(codes.region("鼓楼区"));
    assert!(
        why.contains("ambiguous") && why.contains("320106") && why.contains("350102"),
        "{why}"
    );
    // 吉林 is the short name of both 吉林省 and 吉林市.
    let why = reason(codes.region("吉林"));
    assert!(why.contains("220000") && why.contains("220200"), "{why}");
    // A full name is never ambiguous with a short one.
    assert_eq!(codes.region("吉林市").as_deref(), Ok("220200"));
}

#[test]
fn unknown_regions_are_rejected_with_the_nearest_names() {
    let codes = codes();
    let why = reason(codes.region("乐请市"));
    assert!(why.contains("'乐请市'") && why.contains("乐清市"), "{why}");
    assert!(reason(codes.region("乐清县")).contains("乐清市"));
    let why = reason(codes.region("330385"));
    assert!(
        why.contains("unknown region code '330385'") && why.contains("330381"),
        "{why}"
    );
    assert!(reason(codes.region("33038")).contains("has 5 digits"));
    assert!(reason(codes.region("Springfield")).contains("not in the regions reference data"));
    assert!(reason(codes.region(" \u{3000} ")).contains("empty region"));
}

#[test]
fn occupation_is_found_by_code_in_any_width_or_by_name() {
    let codes = codes();
    for text in [
        "6-31-01-03",
        " 6-31-01-03 ",
        "６－３１－０１－０３",
        "6—31—01—03",
        "6310103",
        "电工",
    ] {
        assert_eq!(
            codes.occupation(text).as_deref(),
            Ok("6-31-01-03"),
            "{text}"
        );
    }
    assert_eq!(
        codes.occupation("激光设备安装调试员").as_deref(),
        Ok("6-25-04-04")
    );
    assert_eq!(codes.occupation_name("6-18-02-04"), Some("焊工"));
}

#[test]
fn unknown_occupations_are_rejected() {
    let codes = codes();
    let why = reason(codes.occupation("6-31-01-09"));
    assert!(
        why.contains("unknown occupation code '6-31-01-09'") && why.contains("6-31-01-03"),
        "{why}"
    );
    assert!(reason(codes.occupation("631010")).contains("not an occupation code"));
    assert!(reason(codes.occupation("6-3-101-03")).contains("not an occupation code"));
    // 电焊工 is one edit from both 电工 and 焊工: suggested, not chosen.
    let why = reason(codes.occupation("电焊工"));
    assert!(
        why.contains("did you mean") && why.contains("焊工"),
        "{why}"
    );
    assert!(reason(codes.occupation("")).contains("empty occupation"));
}

#[test]
fn every_level_spelling_is_accepted() {
    let codes = codes();
    let level = |order: u8, national: Option<u8>| Level {
        ladder_order: order,
        national_level: national,
    };
    let cases = [
        ("学徒工", level(1, None)),
        ("学徒", level(1, None)),
        ("初级工", level(2, Some(5))),
        ("初级", level(2, Some(5))),
        ("五级", level(2, Some(5))),
        ("五级/初级工", level(2, Some(5))),
        ("5", level(2, Some(5))),
        ("中级工", level(3, Some(4))),
        ("中级", level(3, Some(4))),
        ("四级", level(3, Some(4))),
        ("4级", level(3, Some(4))),
        ("高级工", level(4, Some(3))),
        ("高级", level(4, Some(3))),
        ("三级", level(4, Some(3))),
        ("三级/高级工", level(4, Some(3))),
        ("高级工/三级", level(4, Some(3))),
        ("三级 / 高级工", level(4, Some(3))),
        ("三级（高级工）", level(4, Some(3))),
        ("高级工(三级)", level(4, Some(3))),
        ("3", level(4, Some(3))),
        ("３", level(4, Some(3))),
        ("３级", level(4, Some(3))),
        (" 3 ", level(4, Some(3))),
        ("国家职业资格三级", level(4, Some(3))),
        ("国家职业资格三级/高级工", level(4, Some(3))),
        ("职业技能等级三级", level(4, Some(3))),
        ("技师", level(5, Some(2))),
        ("二级", level(5, Some(2))),
        ("2", level(5, Some(2))),
        ("高级技师", level(6, Some(1))),
        ("一级", level(6, Some(1))),
        ("一级/高级技师", level(6, Some(1))),
        ("1", level(6, Some(1))),
        ("特级技师", level(7, None)),
        ("首席技师", level(8, None)),
    ];
    for (text, expected) in cases {
        assert_eq!(codes.level(text), Ok(expected), "{text}");
    }
}

#[test]
fn unknown_or_conflicting_levels_are_rejected() {
    let codes = codes();
    for text in ["6", "0", "六级", "高", "专家", "3.5", "", "/", "level 3"] {
        assert!(codes.level(text).is_err(), "{text}");
    }
    let why = reason(codes.level("三级/技师"));
    assert!(
        why.contains("two different steps") && why.contains("高级工") && why.contains("技师"),
        "{why}"
    );
    let why = reason(codes.level("六级"));
    assert!(
        why.contains("'六级'") && why.contains("高级工 (3)"),
        "{why}"
    );
}
