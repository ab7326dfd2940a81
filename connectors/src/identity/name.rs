//! Masked names: enough to recognise a person one already knows, not to identify one.

use crate::normalize::trim;

/// `name` masked for storage (`workers.name_masked`).
///
/// - A name with Chinese characters keeps its first and last character with one `*` for
///   each character between (`张小明` → `张*明`, `欧阳小明` → `欧**明`); a two-character
///   name keeps only the first (`张三` → `张*`) and a one-character name is `*`. Spaces
///   inside are dropped first (`张 三` → `张*`).
/// - Any other name keeps the first character of each word followed by `*`
///   (`John Smith` → `J* S*`).
/// - Surrounding whitespace is trimmed; an empty name stays empty.
pub fn mask_name(name: &str) -> String {
    let name = trim(name);
    if name.chars().any(is_han) {
        let chars: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
        return match chars.as_slice() {
            [] => String::new(),
            [_] => "*".to_owned(),
            [first, _] => format!("{first}*"),
            [first, middle @ .., last] => {
                let mut out = String::with_capacity(name.len());
                out.push(*first);
                out.extend(middle.iter().map(|_| '*'));
                out.push(*last);
                out
            }
        };
    }
    let words: Vec<String> = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .map(|first| format!("{first}*"))
        .collect();
    words.join(" ")
}

/// Whether `c` is a Chinese (Han) character: the CJK unified ideographs, their extensions
/// and the compatibility ideographs, and `〇`.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{323AF}')
}
