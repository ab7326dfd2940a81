//! The drop folder: files put in a watched folder are landed once each, then moved to
//! `done/` or `failed/` beside a JSON report.
//!
//! ```text
//! inbox/
//!   workers.csv                      canonical file: the name (or `<table>-…`) names the table
//!   assessment_results/day-1.ndjson  canonical file: the folder names the table
//!   assessment_export/hr-2026.xlsx   export: the folder names a column mapping
//!   done/<folder>/<time>-<name>      landed (some rows may be quarantined), and
//!   done/<folder>/<time>-<name>.report.json
//!   failed/<folder>/<time>-<name>    could not be landed at all (bad header, not a
//!   failed/<folder>/<time>-<name>.report.json   spreadsheet, unknown table …)
//! ```
//!
//! A file is read once its size and modification time have stayed the same for
//! `settle` (so that a file still being copied in is not read half-way); names starting
//! with `.` or `~$`, or ending in `.tmp`, `.part` or `.crdownload`, are passed over.
//!
//! Restart safety comes from the lake, not from the folder: a file is moved only after
//! its rows are committed, and landing a file again stores none of its rows twice (each
//! table's idempotency key) nor any rejection twice (the quarantine's key). A crash
//! before the move leaves the file in place to be landed again, its rows counted as
//! duplicates; the report is written, hidden, before the move and moved after it, and
//! one left behind by a crash is moved at the next look. A failure of the lake itself
//! (storage unreachable) moves nothing: the file is tried again at the next look.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use skillbrain_connectors::Table;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::files::{FileKind, FileReport, Lander};
use crate::config::Config;
use crate::error::{Error, Result};

/// The folders of landed and failed files.
pub const DONE: &str = "done";
/// See [`DONE`].
pub const FAILED: &str = "failed";

/// What `[inbox]` configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxOptions {
    /// The watched folder.
    pub dir: PathBuf,
    /// How often it is looked at.
    pub poll: Duration,
    /// How long a file must stay unchanged before it is read.
    pub settle: Duration,
}

impl InboxOptions {
    /// The options `[inbox]` gives; `None` when `inbox.dir` is empty.
    pub fn from_config(config: &Config) -> Option<InboxOptions> {
        (!config.inbox.dir.is_empty()).then(|| InboxOptions {
            dir: PathBuf::from(&config.inbox.dir),
            poll: Duration::from_millis(config.inbox.poll_ms.max(10)),
            settle: Duration::from_millis(config.inbox.settle_ms),
        })
    }
}

/// Where a file went, and what landing it did.
#[derive(Debug, Clone, Serialize)]
pub struct Handled {
    /// `done` or `failed`.
    pub status: &'static str,
    /// The file's path relative to the inbox, as it was dropped.
    pub dropped_as: String,
    /// Where it is now.
    pub moved_to: String,
    /// When it was handled (RFC 3339, UTC).
    pub handled_at: String,
    /// What landing it did (for a landed file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<FileReport>,
    /// Why it could not be landed (for a failed file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The watching task.
pub struct Inbox {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Inbox {
    /// Makes the folders and starts watching.
    pub fn start(lander: Arc<Lander>, options: InboxOptions) -> Result<Inbox> {
        for dir in [
            &options.dir,
            &options.dir.join(DONE),
            &options.dir.join(FAILED),
        ] {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut watcher = Watcher::new(lander, options.clone());
            loop {
                if let Err(e) = watcher.look().await {
                    tracing::warn!(inbox = %options.dir.display(), error = %e, "drop folder");
                }
                tokio::select! {
                    _ = tokio::time::sleep(options.poll) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        Ok(Inbox { stop, task })
    }

    /// Stops watching after the file being landed, if any.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Looks at the folder, remembering what each file looked like the last time.
pub struct Watcher {
    lander: Arc<Lander>,
    options: InboxOptions,
    /// Size and modification time of each waiting file, and since when they held.
    seen: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)>,
}

impl Watcher {
    /// A watcher of `options.dir`.
    pub fn new(lander: Arc<Lander>, options: InboxOptions) -> Watcher {
        Watcher {
            lander,
            options,
            seen: HashMap::new(),
        }
    }

    /// One look: finishes moving reports left by a crash, then lands every file that
    /// has settled, oldest first. Returns what was handled.
    pub async fn look(&mut self) -> Result<Vec<Handled>> {
        let dir = self.options.dir.clone();
        let mut files = Vec::new();
        collect(&dir, &dir, 0, &mut files)?;
        finish_left_reports(&dir, &files)?;
        let now = Instant::now();
        let mut ready = Vec::new();
        let mut present = std::collections::HashSet::new();
        for rel in files.into_iter().filter(|f| !ignored(f)) {
            let path = dir.join(&rel);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let stamp = (meta.len(), meta.modified().ok());
            present.insert(rel.clone());
            let entry = self
                .seen
                .entry(rel.clone())
                .or_insert((stamp.0, stamp.1, now));
            if (entry.0, entry.1) != stamp {
                *entry = (stamp.0, stamp.1, now);
            }
            if now.duration_since(entry.2) >= self.options.settle {
                ready.push((stamp.1, rel));
            }
        }
        self.seen.retain(|rel, _| present.contains(rel));
        ready.sort();
        let mut handled = Vec::new();
        for (_, rel) in ready {
            if let Some(h) = self.land(&rel).await? {
                self.seen.remove(&rel);
                handled.push(h);
            }
        }
        Ok(handled)
    }

    /// Lands one file and moves it; `None` when the lake failed and the file stays.
    async fn land(&self, rel: &Path) -> Result<Option<Handled>> {
        let dir = &self.options.dir;
        let path = dir.join(rel);
        let kind = match kind_of(&self.lander, rel) {
            Ok(kind) => kind,
            Err(reason) => return finish(dir, rel, None, Some(reason)).map(Some),
        };
        match self.lander.land(&path, &kind).await {
            Ok(report) => {
                tracing::info!(
                    file = %rel.display(),
                    accepted = report.accepted(),
                    rejected = report.rejected,
                    duplicates = report.duplicates(),
                    "drop folder: landed"
                );
                finish(dir, rel, Some(report), None).map(Some)
            }
            Err(Error::Connector(e)) => finish(dir, rel, None, Some(e.to_string())).map(Some),
            Err(Error::Config(e)) => finish(dir, rel, None, Some(e)).map(Some),
            Err(e) => {
                tracing::warn!(file = %rel.display(), error = %e, "drop folder: will try again");
                Ok(None)
            }
        }
    }
}

/// The files under `dir` (relative paths), one folder deep, outside `done/` and `failed/`.
fn collect(root: &Path, dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() {
            if depth == 0 && name != DONE && name != FAILED && !name.starts_with('.') {
                collect(root, &path, depth + 1, out)?;
            }
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

/// Whether a file is passed over: hidden, a lock file, or a copy in progress.
fn ignored(rel: &Path) -> bool {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || name.starts_with("~$")
        || [".tmp", ".part", ".crdownload"]
            .iter()
            .any(|ext| name.to_ascii_lowercase().ends_with(ext))
}

/// How a dropped file is read: its folder names a table or a mapping; a file at the
/// top names its table (`workers.csv`, `workers-2026-11.csv`).
fn kind_of(lander: &Lander, rel: &Path) -> std::result::Result<FileKind, String> {
    let folder = rel
        .parent()
        .and_then(|p| p.to_str())
        .filter(|p| !p.is_empty());
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    match folder {
        Some(folder) => {
            if let Ok(table) = folder.parse::<Table>() {
                return Ok(FileKind::Canonical {
                    table,
                    format: None,
                });
            }
            match lander.named_mapping(folder) {
                Some(mapping) => Ok(FileKind::Export {
                    mapping,
                    format: None,
                    options: Default::default(),
                }),
                None => Err(format!(
                    "folder '{folder}' names neither a table nor a column mapping; put \
                     canonical files in a folder named for their table and exports in a \
                     folder named for their mapping"
                )),
            }
        }
        None => table_of_name(name)
            .map(|table| FileKind::Canonical {
                table,
                format: None,
            })
            .ok_or_else(|| {
                format!(
                    "cannot tell the table from the name '{name}'; name the file for its \
                     table (workers.csv, assessment_results-2026-11-28.ndjson) or put it in a \
                     folder named for its table or mapping"
                )
            }),
    }
}

/// The table a top-level file's name gives: its stem, or the stem up to a `-` or `.`.
fn table_of_name(name: &str) -> Option<Table> {
    let stem = Path::new(name).file_stem()?.to_str()?;
    if let Ok(table) = stem.parse() {
        return Some(table);
    }
    let head = stem.split(['-', '.']).next()?;
    head.parse().ok()
}

/// Moves a handled file to `done/` or `failed/` with its report.
fn finish(
    dir: &Path,
    rel: &Path,
    report: Option<FileReport>,
    error: Option<String>,
) -> Result<Handled> {
    let status = if error.is_some() { FAILED } else { DONE };
    let now = chrono::Utc::now();
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let target_dir = match rel.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(folder) => dir.join(status).join(folder),
        None => dir.join(status),
    };
    std::fs::create_dir_all(&target_dir).map_err(|e| Error::io(&target_dir, e))?;
    let target = target_dir.join(format!("{}-{name}", now.format("%Y%m%dT%H%M%S%.3fZ")));
    if let Some(e) = &error {
        tracing::warn!(file = %rel.display(), error = %e, "drop folder: failed");
    }
    let handled = Handled {
        status,
        dropped_as: rel.display().to_string(),
        moved_to: target
            .strip_prefix(dir)
            .unwrap_or(&target)
            .display()
            .to_string(),
        handled_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        report,
        error,
    };
    // The report goes beside the file first, hidden, so a crash after the move below
    // still leaves it to be found; then the file moves, then the report.
    let source = dir.join(rel);
    let hidden = hidden_report(&source);
    let json = serde_json::to_vec_pretty(&handled)
        .map_err(|e| Error::Internal(format!("report of {}: {e}", rel.display())))?;
    std::fs::write(&hidden, json).map_err(|e| Error::io(&hidden, e))?;
    std::fs::rename(&source, &target).map_err(|e| Error::io(&source, e))?;
    let report_path = report_of(&target);
    std::fs::rename(&hidden, &report_path).map_err(|e| Error::io(&hidden, e))?;
    Ok(handled)
}

/// Where a file's report waits before the file is moved: `.<name>.report.json`.
fn hidden_report(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    file.with_file_name(format!(".{name}.report.json"))
}

fn report_of(moved: &Path) -> PathBuf {
    let name = moved
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    moved.with_file_name(format!("{name}.report.json"))
}

/// Reports a crash left hidden beside a file that was moved already: moved after it.
fn finish_left_reports(dir: &Path, files: &[PathBuf]) -> Result<()> {
    for rel in files {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let Some(original) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".report.json"))
        else {
            continue;
        };
        let hidden = dir.join(rel);
        if hidden.with_file_name(original).exists() {
            continue; // the file is still here: it is landed again and reported anew
        }
        let Ok(text) = std::fs::read(&hidden) else {
            continue;
        };
        let moved_to = serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("moved_to")?.as_str().map(PathBuf::from));
        match moved_to {
            Some(moved) if dir.join(&moved).exists() => {
                let target = report_of(&dir.join(&moved));
                std::fs::rename(&hidden, &target).map_err(|e| Error::io(&hidden, e))?;
            }
            _ => {
                tracing::warn!(report = %hidden.display(), "drop folder: a report without its file")
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_names_give_the_table() {
        assert_eq!(table_of_name("workers.csv"), Some(Table::Workers));
        assert_eq!(
            table_of_name("assessment_results-2026-11-28.ndjson"),
            Some(Table::AssessmentResults)
        );
        assert_eq!(table_of_name("assessment.csv"), None);
    }

    #[test]
    fn copies_in_progress_are_passed_over() {
        assert!(ignored(Path::new("a/.x.csv")));
        assert!(ignored(Path::new("~$book.xlsx")));
        assert!(ignored(Path::new("workers.csv.part")));
        assert!(!ignored(Path::new("workers.csv")));
    }
}
