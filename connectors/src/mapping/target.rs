//! What a source column can be mapped to: a canonical column of the tables an
//! assessment export lands, or a role whose value is transformed before it is stored.

use crate::schema::Table;

/// A value of one mapped row, named by what it fills.
///
/// Every column of `workers` and `assessment_results` is fed by one target (`name_masked`
/// by [`Target::Name`], `updated_at` by [`Target::TakenAt`]); `gender` and `birth_year`
/// are derived from the national ID and cannot be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    /// Role `name`: the person's name, masked into `workers.name_masked`.
    Name,
    /// Role `national_id`: the 身份证号, turned into `worker_id`, `gender` and
    /// `birth_year` and then forgotten.
    NationalId,
    WorkerId,
    Gender,
    BirthYear,
    EventId,
    AssessmentId,
    EnterpriseId,
    RegionCode,
    OccupationCode,
    Position,
    LevelAttempted,
    Channel,
    TakenAt,
    TotalScore,
    MaxScore,
    Passed,
}

impl Target {
    /// The number of targets, the size of a row's value pool.
    pub(crate) const COUNT: usize = 17;

    /// Every target, in the order of [`Target::index`].
    pub(crate) const ALL: [Target; Target::COUNT] = [
        Target::Name,
        Target::NationalId,
        Target::WorkerId,
        Target::Gender,
        Target::BirthYear,
        Target::EventId,
        Target::AssessmentId,
        Target::EnterpriseId,
        Target::RegionCode,
        Target::OccupationCode,
        Target::Position,
        Target::LevelAttempted,
        Target::Channel,
        Target::TakenAt,
        Target::TotalScore,
        Target::MaxScore,
        Target::Passed,
    ];

    /// The target's position in [`Target::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The name a mapping file uses: the role or the canonical column.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Target::Name => "name",
            Target::NationalId => "national_id",
            Target::WorkerId => "worker_id",
            Target::Gender => "gender",
            Target::BirthYear => "birth_year",
            Target::EventId => "event_id",
            Target::AssessmentId => "assessment_id",
            Target::EnterpriseId => "enterprise_id",
            Target::RegionCode => "region_code",
            Target::OccupationCode => "occupation_code",
            Target::Position => "position",
            Target::LevelAttempted => "level_attempted",
            Target::Channel => "channel",
            Target::TakenAt => "taken_at",
            Target::TotalScore => "total_score",
            Target::MaxScore => "max_score",
            Target::Passed => "passed",
        }
    }

    /// The target feeding a canonical column of `workers` or `assessment_results`.
    pub(crate) fn feeding(column: &str) -> Option<Target> {
        match column {
            "name_masked" => Some(Target::Name),
            "updated_at" => Some(Target::TakenAt),
            _ => Target::ALL
                .into_iter()
                .find(|t| t.name() == column && *t != Target::Name),
        }
    }

    /// Whether a source column may be mapped to it (`gender` and `birth_year` come
    /// from the national ID only).
    pub(crate) fn mappable(self) -> bool {
        !matches!(self, Target::Gender | Target::BirthYear)
    }

    /// Whether `[defaults]` may give it: values that can be the same for a whole file.
    pub(crate) fn defaultable(self) -> bool {
        matches!(
            self,
            Target::EnterpriseId
                | Target::RegionCode
                | Target::OccupationCode
                | Target::Position
                | Target::LevelAttempted
                | Target::Channel
                | Target::TakenAt
                | Target::MaxScore
        )
    }

    /// Whether `[event_id] from` may name it: the values of an `assessment_results`
    /// row that exist before the event ID does.
    pub(crate) fn hashable(self) -> bool {
        !matches!(
            self,
            Target::Name
                | Target::NationalId
                | Target::Gender
                | Target::BirthYear
                | Target::EventId
                | Target::Passed
        )
    }

    /// The target a mapping file names, or why the name is not one.
    pub(crate) fn parse(name: &str) -> Result<Target, String> {
        if let Some(target) = Target::ALL.into_iter().find(|t| t.name() == name) {
            if target.mappable() {
                return Ok(target);
            }
            return Err(format!(
                "'{name}' is derived from the national ID; map the ID column to 'national_id'"
            ));
        }
        let hint = match name {
            "name_masked" => {
                "names are masked before they are stored; map the name column to 'name'".to_owned()
            }
            "updated_at" => "workers.updated_at is the row's taken_at".to_owned(),
            "dimension_code" | "score" => {
                "list each dimension's column under [dimensions] instead".to_owned()
            }
            _ => match other_table(name) {
                Some(table) => format!(
                    "'{name}' is a column of {table}, which an assessment mapping does not land"
                ),
                None => format!(
                    "unknown target '{name}'; the targets are {}",
                    Target::mappable_names()
                ),
            },
        };
        Err(hint)
    }

    /// The names of every mappable target, comma-separated, for messages.
    pub(crate) fn mappable_names() -> String {
        let names: Vec<&str> = (Target::ALL.into_iter())
            .filter(|t| t.mappable())
            .map(Target::name)
            .collect();
        names.join(", ")
    }
}

/// The first canonical table (other than those a mapping lands) with a column `name`.
fn other_table(name: &str) -> Option<Table> {
    let landed = [
        Table::Workers,
        Table::AssessmentResults,
        Table::AssessmentDimensionScores,
    ];
    (Table::ALL.into_iter())
        .filter(|t| !landed.contains(t))
        .find(|t| t.schema().field_with_name(name).is_ok())
}
