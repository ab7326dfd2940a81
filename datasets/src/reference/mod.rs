//! Reference data: regions, occupations, the skill-level ladder, ability dimensions,
//! training courses and programme targets.
//!
//! The Wenzhou data is embedded in the binary ([`Reference::embedded`]); another city is
//! the same CSV files in a folder ([`Reference::from_dir`]; `courses.csv` and
//! `programme_targets.csv` may be left out). Both go through the same parser and the
//! same consistency checks.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod programmes;
mod validate;

pub use programmes::ProgrammeTarget;

#[cfg(test)]
mod tests;

/// File name of the regions table.
pub const REGIONS_FILE: &str = "regions.csv";
/// File name of the occupations table.
pub const OCCUPATIONS_FILE: &str = "occupations.csv";
/// File name of the skill-level ladder.
pub const LEVELS_FILE: &str = "skill_levels.csv";
/// File name of the ability dimensions.
pub const DIMENSIONS_FILE: &str = "dimensions.csv";
/// File name of the training courses (optional in a folder).
pub const COURSES_FILE: &str = "courses.csv";
/// File name of the programme targets (optional in a folder).
pub const PROGRAMME_TARGETS_FILE: &str = "programme_targets.csv";

const REGIONS_CSV: &str = include_str!("../../data/regions.csv");
const OCCUPATIONS_CSV: &str = include_str!("../../data/occupations.csv");
const LEVELS_CSV: &str = include_str!("../../data/skill_levels.csv");
const DIMENSIONS_CSV: &str = include_str!("../../data/dimensions.csv");
const COURSES_CSV: &str = include_str!("../../data/courses.csv");
const PROGRAMME_TARGETS_CSV: &str = include_str!("../../data/programme_targets.csv");

/// The administrative level of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    /// A province (省).
    Province,
    /// A prefecture-level city (地级市), e.g. 温州市.
    City,
    /// A county-level division (区, 县, 县级市), e.g. 乐清市.
    District,
}

/// A GB/T 2260 administrative region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Six-digit GB/T 2260 code, e.g. `330382`.
    pub code: String,
    /// Chinese name, e.g. `乐清市`.
    pub name: String,
    /// The code of the enclosing region; none for the top of the file.
    pub parent_code: Option<String>,
    /// City or district.
    pub level: RegionLevel,
}

/// An occupation of the national occupational classification (2022).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occupation {
    /// Code in the form `X-XX-XX-XX`, e.g. `6-31-01-03`.
    pub code: String,
    /// Chinese name, e.g. `电工`.
    pub name: String,
    /// The major group (大类) the occupation belongs to.
    pub category: String,
}

/// One step of the eight-step skill ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillLevel {
    /// Position on the ladder, 1 (学徒工) to 8 (首席技师).
    pub ladder_order: u8,
    /// Chinese name, e.g. `高级工`.
    pub name: String,
    /// Other name of the step, e.g. `三级`.
    pub alt_name: Option<String>,
    /// The national level number (5 = 初级工 … 1 = 高级技师), if the step has one.
    pub national_level: Option<u8>,
    /// Whether the step counts as high-skilled (高技能人才).
    pub high_skilled: bool,
}

/// An ability dimension an occupation is scored on, with its weight in the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    /// The occupation scored on this dimension.
    pub occupation_code: String,
    /// ASCII code of the dimension, unique across occupations, e.g. `LSR-01`.
    pub dimension_code: String,
    /// Chinese name, e.g. `出光排障能力`.
    pub name: String,
    /// Weight in the total score; an occupation's weights sum to 1.
    pub weight: f64,
}

/// A training course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    /// Course identifier, e.g. `C-LSR-01`.
    pub course_id: String,
    /// Chinese name.
    pub course_name: String,
    /// The occupation the course trains.
    pub occupation_code: String,
    /// The ability dimension the course mainly improves, if any.
    pub dimension_code: Option<String>,
    /// Who runs it.
    pub provider: String,
}

/// All reference data of one city.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The city and its districts.
    pub regions: Vec<Region>,
    /// Occupations, in file order.
    pub occupations: Vec<Occupation>,
    /// The skill ladder, ordered by `ladder_order`.
    pub levels: Vec<SkillLevel>,
    /// Ability dimensions of every occupation.
    pub dimensions: Vec<Dimension>,
    /// Training courses (may be empty).
    pub courses: Vec<Course>,
    /// Yearly programme targets (may be empty).
    pub programme_targets: Vec<ProgrammeTarget>,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<Vec<T>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .deserialize()
        .collect::<std::result::Result<Vec<T>, _>>()
        .map_err(|source| Error::Csv {
            file: file.to_string(),
            source,
        })
}

fn read(dir: &Path, file: &str) -> Result<String> {
    let path = dir.join(file);
    std::fs::read_to_string(&path).map_err(|e| Error::io(path, e))
}

impl Reference {
    /// The Wenzhou reference data compiled into the crate.
    ///
    /// # Panics
    /// If the embedded CSVs are broken, which the crate's tests rule out.
    pub fn embedded() -> Reference {
        Self::from_texts(
            REGIONS_CSV,
            OCCUPATIONS_CSV,
            LEVELS_CSV,
            DIMENSIONS_CSV,
            Some(COURSES_CSV),
            Some(PROGRAMME_TARGETS_CSV),
        )
        .unwrap_or_else(|e| panic!("embedded reference data is invalid: {e}"))
    }

    /// Loads the same files from a folder: `regions.csv`, `occupations.csv`,
    /// `skill_levels.csv`, `dimensions.csv` and, if present, `courses.csv` and
    /// `programme_targets.csv`. Other files are left alone.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Reference> {
        let dir = dir.as_ref();
        let optional = |file: &str| -> Result<Option<String>> {
            if dir.join(file).exists() {
                read(dir, file).map(Some)
            } else {
                Ok(None)
            }
        };
        let courses = optional(COURSES_FILE)?;
        let targets = optional(PROGRAMME_TARGETS_FILE)?;
        Self::from_texts(
            &read(dir, REGIONS_FILE)?,
            &read(dir, OCCUPATIONS_FILE)?,
            &read(dir, LEVELS_FILE)?,
            &read(dir, DIMENSIONS_FILE)?,
            courses.as_deref(),
            targets.as_deref(),
        )
    }

    fn from_texts(
        regions: &str,
        occupations: &str,
        levels: &str,
        dimensions: &str,
        courses: Option<&str>,
        programme_targets: Option<&str>,
    ) -> Result<Reference> {
        let mut levels: Vec<SkillLevel> = parse(LEVELS_FILE, levels)?;
        levels.sort_by_key(|l| l.ladder_order);
        let reference = Reference {
            regions: parse(REGIONS_FILE, regions)?,
            occupations: parse(OCCUPATIONS_FILE, occupations)?,
            levels,
            dimensions: parse(DIMENSIONS_FILE, dimensions)?,
            courses: match courses {
                Some(text) => parse(COURSES_FILE, text)?,
                None => Vec::new(),
            },
            programme_targets: match programme_targets {
                Some(text) => parse(PROGRAMME_TARGETS_FILE, text)?,
                None => Vec::new(),
            },
        };
        reference.validate()?;
        Ok(reference)
    }

    /// The top-level city (the first region of level `city`).
    pub fn city(&self) -> Option<&Region> {
        self.regions.iter().find(|r| r.level == RegionLevel::City)
    }

    /// The county-level districts, in file order.
    pub fn districts(&self) -> Vec<&Region> {
        self.regions
            .iter()
            .filter(|r| r.level == RegionLevel::District)
            .collect()
    }

    /// The region with this code.
    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    /// The occupation with this code.
    pub fn occupation(&self, code: &str) -> Option<&Occupation> {
        self.occupations.iter().find(|o| o.code == code)
    }

    /// The ability dimensions of an occupation, in file order (empty if unknown).
    pub fn dimensions_for(&self, occupation_code: &str) -> Vec<&Dimension> {
        self.dimensions
            .iter()
            .filter(|d| d.occupation_code == occupation_code)
            .collect()
    }

    /// The training courses of an occupation, in file order.
    pub fn courses_for(&self, occupation_code: &str) -> Vec<&Course> {
        self.courses
            .iter()
            .filter(|c| c.occupation_code == occupation_code)
            .collect()
    }

    /// The ladder step at this order (1 = 学徒工 … 8 = 首席技师).
    pub fn level_by_ladder(&self, order: u8) -> Option<&SkillLevel> {
        self.levels.iter().find(|l| l.ladder_order == order)
    }

    /// The ladder step that carries this national level number (5 = 初级工 … 1 = 高级技师).
    pub fn ladder_for_national(&self, level: u8) -> Option<&SkillLevel> {
        self.levels.iter().find(|l| l.national_level == Some(level))
    }

    /// The ladder step named by `text`: its name (`高级工`), other name (`三级`) or
    /// national level number (`3`).
    pub fn level_by_name(&self, text: &str) -> Option<&SkillLevel> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u8>() {
            return self.ladder_for_national(n);
        }
        self.levels
            .iter()
            .find(|l| l.name == text || l.alt_name.as_deref() == Some(text))
    }
}

/// The embedded reference CSVs as (table name, CSV text), for engines that load them as
/// tables: `regions`, `occupations`, `skill_levels`, `dimensions`, `courses`,
/// `programme_targets`.
pub fn embedded_csv() -> [(&'static str, &'static str); 6] {
    [
        ("regions", REGIONS_CSV),
        ("occupations", OCCUPATIONS_CSV),
        ("skill_levels", LEVELS_CSV),
        ("dimensions", DIMENSIONS_CSV),
        ("courses", COURSES_CSV),
        ("programme_targets", PROGRAMME_TARGETS_CSV),
    ]
}
