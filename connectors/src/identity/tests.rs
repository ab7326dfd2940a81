use chrono::NaiveDate;

use super::{Gender, Pseudonymizer, mask_name, validate_national_id, validate_national_id_on};

// Check characters, worked out by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; the
// check character is "10X98765432"[sum mod 11]):
//
// 11010519491231002: 1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7
//   + 2·9 + 3·10 + 1·5 + 0·8 + 0·4 + 2·2 = 167; 167 mod 11 = 2 → 'X'. 17th digit 2: female.
const BEIJING_1949: &str = "11010519491231002X";
// 33038219900101123: 3·7 + 3·9 + 0·10 + 3·5 + 8·8 + 2·4 + 1·2 + 9·1 + 9·6 + 0·3 + 0·7
//   + 1·9 + 0·10 + 1·5 + 1·8 + 2·4 + 3·2 = 236; 236 mod 11 = 5 → '7'. 17th digit 3: male.
const YUEQING_1990: &str = "330382199001011237";
// 33030220000229004: 21 + 27 + 0 + 15 + 0 + 8 + 4 + 0 + 0 + 0 + 0 + 18 + 20 + 45 + 0 + 0
//   + 8 = 166; 166 mod 11 = 1 → '0'. Born on a leap day; 17th digit 4: female.
const LUCHENG_2000: &str = "330302200002290040";
// 33032419851231567: 21 + 27 + 0 + 15 + 16 + 16 + 2 + 9 + 48 + 15 + 7 + 18 + 30 + 5 + 40
//   + 24 + 14 = 307; 307 mod 11 = 10 → '2'. 17th digit 7: male.
const YONGJIA_1985: &str = "330324198512315672";
// 33038219900230123 (30 February): 21 + 27 + 0 + 15 + 64 + 8 + 2 + 9 + 54 + 0 + 0 + 18
//   + 30 + 0 + 8 + 8 + 6 = 270; 270 mod 11 = 6 → '6'. Check character right, date wrong.
const FEBRUARY_30: &str = "330382199002301236";
// 33038218991231123: 21 + 27 + 0 + 15 + 64 + 8 + 2 + 8 + 54 + 27 + 7 + 18 + 30 + 5 + 8
//   + 8 + 6 = 308; 308 mod 11 = 0 → '1'. Born 1899.
const BORN_1899: &str = "330382189912311231";
// 33038221010101123: 21 + 27 + 0 + 15 + 64 + 8 + 4 + 1 + 0 + 3 + 0 + 9 + 0 + 5 + 8 + 8
//   + 6 = 179; 179 mod 11 = 3 → '9'. Born 2101.
const BORN_2101: &str = "330382210101011239";

fn reason<T: std::fmt::Debug>(result: Result<T, crate::normalize::Reject>) -> String {
    result.expect_err("expected a rejection").reason
}

#[test]
fn valid_ids_give_birth_year_and_gender() {
    let cases = [
        (BEIJING_1949, 1949, Gender::Female),
        (YUEQING_1990, 1990, Gender::Male),
        (LUCHENG_2000, 2000, Gender::Female),
        (YONGJIA_1985, 1985, Gender::Male),
    ];
    for (text, year, gender) in cases {
        let id = validate_national_id(text).expect(text);
        assert_eq!((id.birth_year(), id.gender()), (year, gender), "{text}");
    }
    let id = validate_national_id(LUCHENG_2000).expect("valid");
    assert_eq!(
        id.birth_date(),
        NaiveDate::from_ymd_opt(2000, 2, 29).expect("date")
    );
    assert_eq!(Gender::Female.as_str(), "F");
}

#[test]
fn ids_are_trimmed_folded_and_accept_lower_case_x() {
    let canonical = validate_national_id(BEIJING_1949).expect("valid");
    for text in [
        "11010519491231002x",
        " 11010519491231002X\t",
        "\u{3000}11010519491231002X\u{3000}",
        "１１０１０５１９４９１２３１００２Ｘ",
    ] {
        assert_eq!(
            validate_national_id(text).as_ref(),
            Ok(&canonical),
            "{text}"
        );
    }
}

#[test]
fn a_wrong_check_character_is_rejected_without_echoing_the_number() {
    // YUEQING_1990 with its last digit 7 changed to 8.
    let why = reason(validate_national_id("330382199001011238"));
    assert!(why.contains("check character"), "{why}");
    assert!(why.contains("330382********1238"), "{why}");
    assert!(
        !why.contains("330382199001011238") && !why.contains("19900101"),
        "{why}"
    );
    // Two digits swapped: the weights catch it.
    assert!(reason(validate_national_id("330382199001012137")).contains("check character"));
    // X where a digit belongs.
    assert!(reason(validate_national_id("33038219900101123X")).contains("check character"));
}

#[test]
fn bad_birth_dates_are_rejected() {
    assert!(reason(validate_national_id(FEBRUARY_30)).contains("not a real date"));
    assert!(reason(validate_national_id(BORN_1899)).contains("before 1900"));
    assert!(reason(validate_national_id(BORN_2101)).contains("later than 2100-12-31"));
    let today = NaiveDate::from_ymd_opt(1989, 12, 31).expect("date");
    let why = reason(validate_national_id_on(YUEQING_1990, today));
    assert!(why.contains("later than 1989-12-31"), "{why}");
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
    assert!(validate_national_id_on(YUEQING_1990, today).is_ok());
}

#[test]
fn wrong_lengths_and_characters_are_rejected() {
    let why = reason(validate_national_id("330382900101123"));
    assert!(
        why.contains("15-digit") && why.contains("18-digit"),
        "{why}"
    );
    assert!(!why.contains("330382900101123"));
    for text in ["33038219900101123", "3303821990010112377", "X"] {
        let why = reason(validate_national_id(text));
        assert!(
            why.contains("18 characters") && !why.contains(text),
            "{text}: {why}"
        );
    }
    assert!(reason(validate_national_id("")).contains("empty"));
    let why = reason(validate_national_id("33038219900I011237"));
    assert!(why.contains("character 12 is not a digit"), "{why}");
    let why = reason(validate_national_id("33038219900101123A"));
    assert!(why.contains("neither a digit nor X"), "{why}");
    let why = reason(validate_national_id("990382199001011237"));
    assert!(why.contains("province"), "{why}");
}

#[test]
fn debug_shows_only_the_masked_number() {
    let id = validate_national_id(YUEQING_1990).expect("valid");
    assert_eq!(format!("{id:?}"), "NationalId(\"330382********1237\")");
    assert_eq!(id.masked(), "330382********1237");
}

#[test]
fn worker_id_is_the_truncated_hmac_of_the_upper_case_number() {
    // Expected values from Python's standard library:
    // hmac.new(b'skillbrain-test-secret-0123', b'11010519491231002X', hashlib.sha256)
    //     .hexdigest()[:32] == 'a132319ce4257481470e1aadd2e53c49'
    // hmac.new(b'skillbrain-test-secret-0123', b'330382199001011237', hashlib.sha256)
    //     .hexdigest()[:32] == 'b069d175393449ff0519acf1ea339253'
    // hmac.new(b'0123456789abcdef', b'11010519491231002X', hashlib.sha256)
    //     .hexdigest()[:32] == 'dd6a5ba2eed683e7925b20f655c01434'
    let p = Pseudonymizer::new(b"skillbrain-test-secret-0123").expect("long enough");
    let id = |text| validate_national_id(text).expect("valid");
    assert_eq!(
        p.worker_id(&id(BEIJING_1949)),
        "wa132319ce4257481470e1aadd2e53c49"
    );
    assert_eq!(
        p.worker_id(&id("11010519491231002x")),
        "wa132319ce4257481470e1aadd2e53c49"
    );
    assert_eq!(
        p.worker_id(&id(YUEQING_1990)),
        "wb069d175393449ff0519acf1ea339253"
    );
    let other = Pseudonymizer::new(b"0123456789abcdef").expect("16 bytes is enough");
    assert_eq!(
        other.worker_id(&id(BEIJING_1949)),
        "wdd6a5ba2eed683e7925b20f655c01434"
    );
}

#[test]
fn short_secrets_are_rejected_and_debug_hides_the_secret() {
    let why = reason(Pseudonymizer::new(b"0123456789abcde"));
    assert!(
        why.contains("at least 16 bytes") && why.contains("15"),
        "{why}"
    );
    assert!(!why.contains("0123456789abcde"));
    let p = Pseudonymizer::new(b"skillbrain-test-secret-0123").expect("long enough");
    let debug = format!("{p:?}");
    assert!(
        !debug.contains("skillbrain-test") && debug.contains("redacted"),
        "{debug}"
    );
}

#[test]
fn names_are_masked() {
    let cases = [
        ("张三", "张*"),
        ("张小明", "张*明"),
        ("欧阳小明", "欧**明"),
        (" 张小明\u{3000}", "张*明"),
        ("张 三", "张*"),
        ("张", "*"),
        ("买买提·艾力", "买****力"),
        ("John Smith", "J* S*"),
        ("  alice  ", "a*"),
        ("Mary  Ann Lee", "M* A* L*"),
        ("", ""),
        (" \u{3000} ", ""),
    ];
    for (name, masked) in cases {
        assert_eq!(mask_name(name), masked, "{name}");
    }
}

#[test]
fn no_input_panics() {
    let p = Pseudonymizer::new(&[7u8; 32]).expect("long enough");
    let mut state: u64 = 0x1d_5eed_0000_0001;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut inputs: Vec<String> =
        vec!["1".repeat(100_000), "张".repeat(10_000), "\u{0}".repeat(18)];
    for _ in 0..20_000 {
        let len = (next() % 24) as usize;
        let text = if next() % 2 == 0 {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            // Mostly digits, so that some inputs get past the length and character checks.
            (0..len)
                .map(|_| match next() % 14 {
                    0 => 'X',
                    1 => 'x',
                    2 => '张',
                    3 => ' ',
                    n => char::from(b'0' + (n % 10) as u8),
                })
                .collect()
        };
        inputs.push(text);
    }
    for text in &inputs {
        if let Ok(id) = validate_national_id(text) {
            assert_eq!(p.worker_id(&id).len(), 33);
            assert!(!format!("{id:?}").contains(text.trim()));
        }
        let _ = mask_name(text);
    }
}
