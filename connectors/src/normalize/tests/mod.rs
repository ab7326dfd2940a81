//! Tests of normalisation: shared fixtures here, codes and levels in `codes.rs`, dates in
//! `dates.rs`.

use super::{Codes, LevelStep, Reject, date};

mod codes;
mod dates;

/// Wenzhou's regions as in `datasets/`, plus two same-named districts of other cities and a
/// city and province sharing a short name, to exercise ambiguity.
pub(super) fn codes() -> Codes {
    let regions = [
        ("330300", "温州市"),
        ("330302", "鹿城区"),
        ("330303", "龙湾区"),
        ("330304", "瓯海区"),
        ("330305", "洞头区"),
        ("330324", "永嘉县"),
        ("330326", "平阳县"),
        ("330327", "苍南县"),
        ("330328", "文成县"),
        ("330329", "泰顺县"),
        ("330381", "瑞安市"),
        ("330382", "乐清市"),
        ("330383", "龙港市"),
        ("320106", "鼓楼区"),
        ("350102", "鼓楼区"),
        ("220000", "吉林省"),
        ("220200", "吉林市"),
    ];
    let occupations = [
        ("6-31-01-03", "电工"),
        ("6-18-02-04", "焊工"),
        ("6-18-01-01", "车工"),
        ("6-31-01-02", "机修钳工"),
        ("6-25-04-04", "激光设备安装调试员"),
        ("4-12-01-01", "汽车维修工"),
    ];
    let step = |order: u8, name: &str, alt: Option<&str>, national: Option<u8>| LevelStep {
        ladder_order: order,
        name: name.to_owned(),
        alt_name: alt.map(str::to_owned),
        national_level: national,
    };
    let levels = [
        step(1, "学徒工", None, None),
        step(2, "初级工", Some("五级"), Some(5)),
        step(3, "中级工", Some("四级"), Some(4)),
        step(4, "高级工", Some("三级"), Some(3)),
        step(5, "技师", Some("二级"), Some(2)),
        step(6, "高级技师", Some("一级"), Some(1)),
        step(7, "特级技师", None, None),
        step(8, "首席技师", None, None),
    ];
    Codes::new(regions, occupations, levels)
}

pub(super) fn reason<T: std::fmt::Debug>(result: Result<T, Reject>) -> String {
    result.expect_err("expected a rejection").reason
}

/// A small deterministic generator (xorshift64) for junk inputs.
fn junk(seed: u64, count: usize) -> impl Iterator<Item = String> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const ALPHABET: &[&str] = &[
        "0",
        "1",
        "2",
        "6",
        "9",
        "-",
        "/",
        ".",
        ":",
        "T",
        "Z",
        "+",
        " ",
        "年",
        "月",
        "日",
        "级",
        "三",
        "高级工",
        "/",
        "（",
        ")",
        "乐清",
        "市",
        "\u{3000}",
        "３",
        "－",
        "x",
        "X",
        "\u{FEFF}",
    ];
    (0..count).map(move |_| {
        let len = (next() % 40) as usize;
        if next() % 2 == 0 {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect()
        }
    })
}

#[test]
fn no_input_panics() {
    let codes = codes();
    let mut inputs: Vec<String> = junk(0x5eed_1234_abcd_0001, 20_000).collect();
    inputs.extend([
        "9".repeat(100_000),
        "乐".repeat(10_000),
        format!("2026-11-28{}", " ".repeat(10_000)),
        "45623.".to_owned() + &"9".repeat(5_000),
        "2026-11-28T08:30:00.999999999999+08:00".to_owned(),
        "9999-12-31T23:59:59-14:00".to_owned(),
        "2958465.99999999".to_owned(),
        "\u{0}\u{1}\u{7f}".to_owned(),
    ]);
    for text in &inputs {
        let _ = codes.region(text);
        let _ = codes.occupation(text);
        let _ = codes.level(text);
        let _ = date(text);
    }
}
