//! The skill-level ladder and the many ways sources spell a step of it.

use std::collections::HashMap;

use super::{Reject, clean, quote};

/// Chinese numerals for the national level numbers, indexed by the number.
const NUMERALS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Words that may come before a level and say nothing more (`国家职业资格三级`), longest first.
const PREFIXES: [&str; 4] = [
    "国家职业技能等级",
    "国家职业资格",
    "职业技能等级",
    "职业资格",
];

/// One step of the skill-level ladder, as the reference data gives it.
///
/// A step is accepted by its `name` (`高级工`), its `alt_name` (`三级`), both joined by `/`
/// (`三级/高级工`, either order) or with one in brackets (`高级工（三级）`), a name ending in
/// `工` without it (`高级` for `高级工`, `初级` for `初级工`) and, when it has a national
/// level, that number as an ASCII or full-width digit (`3`, `３`), with `级` (`3级`) or as a
/// Chinese numeral with `级` (`三级`). Any of these may follow `国家职业资格`, `职业资格`,
/// `国家职业技能等级` or `职业技能等级`. A spelling two steps share is rejected as ambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelStep {
    /// Position on the ladder, 1 for the lowest step (学徒工 on the 8-step ladder).
    pub ladder_order: u8,
    /// The step's name, e.g. `高级工`.
    pub name: String,
    /// Another name for the step, e.g. `三级`.
    pub alt_name: Option<String>,
    /// The national level number (5 初级工 … 1 高级技师; lower is more skilled), where the
    /// step has one.
    pub national_level: Option<u8>,
}

/// A normalised skill level: the ladder step and, where it has one, the national level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level {
    /// Position on the ladder, 1 for the lowest step.
    pub ladder_order: u8,
    /// The national level number (1 is the highest), if the step has one.
    pub national_level: Option<u8>,
}

/// The ladder's steps and every accepted spelling of each.
#[derive(Debug, Clone, Default)]
pub(super) struct Ladder {
    /// The steps, lowest first.
    steps: Vec<LevelStep>,
    /// Spelling → the levels it names (more than one: ambiguous).
    spellings: HashMap<String, Vec<Level>>,
}

impl Ladder {
    /// The ladder of `steps` with their spellings indexed.
    pub(super) fn new(steps: impl IntoIterator<Item = LevelStep>) -> Self {
        let mut steps: Vec<LevelStep> = steps.into_iter().collect();
        steps.sort_by_key(|s| s.ladder_order);
        let mut spellings: HashMap<String, Vec<Level>> = HashMap::new();
        for step in &steps {
            let level = Level {
                ladder_order: step.ladder_order,
                national_level: step.national_level,
            };
            for spelling in step_spellings(step) {
                let levels = spellings.entry(spelling).or_default();
                if !levels.contains(&level) {
                    levels.push(level);
                }
            }
        }
        Ladder { steps, spellings }
    }

    /// The level `text` names; see [`LevelStep`] for the accepted spellings.
    pub(super) fn resolve(&self, text: &str) -> Result<Level, Reject> {
        let value: String = clean(text).chars().filter(|c| !c.is_whitespace()).collect();
        if value.is_empty() {
            return Err(Reject::new(format!(
                "empty skill level; give one of {}",
                self.accepted()
            )));
        }
        let mut found: Option<Level> = None;
        let parts = value
            .split(['/', '|', '、', '('])
            .map(|part| strip_prefix(part.trim_end_matches(')')))
            .filter(|part| !part.is_empty());
        for part in parts {
            let level = match self.spellings.get(part).map(Vec::as_slice) {
                Some([level]) => *level,
                Some(_) => {
                    return Err(Reject::new(format!(
                        "skill level {} is ambiguous in the ladder's reference data; give the step's name",
                        quote(part)
                    )));
                }
                None => {
                    return Err(Reject::new(format!(
                        "unknown skill level {}; give one of {}",
                        quote(&value),
                        self.accepted()
                    )));
                }
            };
            match found {
                Some(earlier) if earlier != level => {
                    return Err(Reject::new(format!(
                        "skill level {} names two different steps, {} and {}; give one",
                        quote(&value),
                        self.name(earlier),
                        self.name(level)
                    )));
                }
                _ => found = Some(level),
            }
        }
        found.ok_or_else(|| {
            Reject::new(format!(
                "unknown skill level {}; give one of {}",
                quote(&value),
                self.accepted()
            ))
        })
    }

    /// The name of the step at `level`.
    fn name(&self, level: Level) -> &str {
        self.steps
            .iter()
            .find(|s| s.ladder_order == level.ladder_order)
            .map_or("?", |s| s.name.as_str())
    }

    /// What is accepted, for a reason: the steps with their national numbers.
    fn accepted(&self) -> String {
        if self.steps.is_empty() {
            return "the skill levels of the reference data (none were loaded)".to_owned();
        }
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| match s.national_level {
                Some(n) => format!("{} ({n})", s.name),
                None => s.name.clone(),
            })
            .collect();
        format!("{} (national level numbers in brackets)", steps.join(", "))
    }
}

/// `part` without a leading `国家职业资格` or the like.
fn strip_prefix(part: &str) -> &str {
    PREFIXES
        .iter()
        .find_map(|prefix| part.strip_prefix(prefix))
        .unwrap_or(part)
}

/// Every single spelling of `step` (composites like `三级/高级工` are split when resolving).
fn step_spellings(step: &LevelStep) -> Vec<String> {
    let squeeze = |s: &str| -> String { clean(s).chars().filter(|c| !c.is_whitespace()).collect() };
    let mut out = Vec::new();
    let name = squeeze(&step.name);
    if let Some(short) = name.strip_suffix('工').filter(|s| s.chars().count() >= 2) {
        out.push(short.to_owned());
    }
    out.push(name);
    if let Some(alt) = step.alt_name.as_deref().map(squeeze) {
        out.push(alt);
    }
    if let Some(n) = step.national_level {
        out.push(n.to_string());
        out.push(format!("{n}级"));
        if let Some(numeral) = NUMERALS.get(usize::from(n)) {
            out.push(format!("{numeral}级"));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}
