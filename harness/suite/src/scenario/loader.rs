//! Loading and validating scenario files, with errors that name the file,
//! the line and the field.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use super::model::{Operation, Scenario, ScenarioFile};

/// A scenario with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The scenario.
    pub scenario: Scenario,
    /// The file it is in.
    pub file: PathBuf,
    /// The line its `[[scenario]]` table starts on (1-based).
    pub line: usize,
    /// Content bytes, resolved (`content_file`, `pad`).
    pub content: Vec<u8>,
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found, so authors fix them in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// How binding a requirement is (design.md, Judging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Broken: the scenario fails.
    Must,
    /// Broken: the scenario is non-strict.
    Should,
    /// Recorded, not judged, except against the reference emulator.
    ImplementationDefined,
}

impl Level {
    /// The word `spec/requirements.md` uses.
    pub fn word(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::ImplementationDefined => "IMPLEMENTATION-DEFINED",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "MUST" => Ok(Level::Must),
            "SHOULD" => Ok(Level::Should),
            "IMPLEMENTATION-DEFINED" => Ok(Level::ImplementationDefined),
            other => Err(format!(
                "level {other:?} is not MUST, SHOULD or IMPLEMENTATION-DEFINED"
            )),
        }
    }
}

/// A requirement as the runner needs it: level and statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// How binding it is.
    pub level: Level,
    /// The one testable sentence.
    pub statement: String,
}

/// Why `spec/requirements.md` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A requirement is malformed.
    #[error("{path}:{line}: requirement {id}: {problem}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The heading's line.
        line: usize,
        /// The requirement.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// The requirements in `spec/requirements.md`, by ID. Each `### ID` heading
/// needs a `- Level:` line with a known level.
pub fn read_requirements(spec: &Path) -> Result<HashMap<String, Requirement>, SpecError> {
    let text = std::fs::read_to_string(spec).map_err(|source| SpecError::Read {
        path: spec.to_owned(),
        source,
    })?;
    let malformed = |line: usize, id: &str, problem: String| SpecError::Malformed {
        path: spec.to_owned(),
        line,
        id: id.to_owned(),
        problem,
    };
    let mut out = HashMap::new();
    // (id, heading line, level, statement) of the requirement being read.
    let mut current: Option<(String, usize, Option<Level>, String)> = None;
    let end = std::iter::once((0, "### END"));
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)).chain(end) {
        if let Some(id) = line.strip_prefix("### ") {
            if let Some((id, at, level, statement)) = current.take() {
                let level = level.ok_or_else(|| malformed(at, &id, "no `- Level:` line".into()))?;
                out.insert(id, Requirement { level, statement });
            }
            current = Some((id.trim().to_owned(), number, None, String::new()));
        } else if let Some((id, _, level, statement)) = &mut current {
            if let Some(word) = line.strip_prefix("- Level: ") {
                *level = Some(word.trim().parse().map_err(|e| malformed(number, id, e))?);
            } else if let Some(text) = line.strip_prefix("- Statement: ") {
                *statement = text.trim().to_owned();
            }
        }
    }
    Ok(out)
}

/// Loads every `*.toml` under `dir` (sorted by name), checking each scenario
/// against the requirement IDs in `known_requirements`.
pub fn load_dir(
    dir: &Path,
    known_requirements: &HashMap<String, Requirement>,
) -> Result<Vec<LoadedScenario>, LoadErrors> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            return Err(LoadErrors(vec![LoadError {
                file: dir.to_owned(),
                line: None,
                message: format!("cannot read the scenario directory: {e}"),
            }]))
        }
    };
    files.sort();
    let mut errors = Vec::new();
    let mut loaded = Vec::new();
    let mut ids: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut keys: HashMap<String, String> = HashMap::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                errors.push(LoadError {
                    file,
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let parsed: ScenarioFile = match toml::from_str(&text) {
            Ok(parsed) => parsed,
            Err(e) => {
                let line = e.span().map(|s| line_of(&text, s.start));
                errors.push(LoadError {
                    file,
                    line,
                    message: e.message().trim().to_owned(),
                });
                continue;
            }
        };
        for spanned in parsed.scenario {
            let line = line_of(&text, spanned.span().start);
            let scenario = spanned.into_inner();
            let mut problem = |field: &str, message: String| {
                errors.push(LoadError {
                    file: file.clone(),
                    line: Some(line),
                    message: format!("scenario {:?}: {field}: {message}", scenario.id),
                });
            };
            if scenario.id.is_empty()
                || !scenario
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/._-".contains(&b))
            {
                problem(
                    "id",
                    "use lower-case letters, digits and / . _ - only".into(),
                );
            }
            if let Some((other, other_line)) = ids.get(&scenario.id) {
                problem(
                    "id",
                    format!(
                        "already used at {}:{other_line}; ids must be unique",
                        other.display()
                    ),
                );
            }
            ids.insert(scenario.id.clone(), (file.clone(), line));
            if let Some(other) = keys.get(&scenario.upload.key) {
                problem("upload.key", format!("already used by scenario {other:?}; keys isolate scenarios, so each must be unique"));
            }
            keys.insert(scenario.upload.key.clone(), scenario.id.clone());
            if scenario.requirements.is_empty() {
                problem(
                    "requirements",
                    "name at least one requirement ID from spec/requirements.md".into(),
                );
            }
            for id in &scenario.requirements {
                if !known_requirements.contains_key(id) {
                    problem(
                        "requirements",
                        format!("{id} is not in spec/requirements.md"),
                    );
                }
            }
            for answer in &scenario.answer {
                if !answer.path.starts_with('/') {
                    problem(
                        "answer.path",
                        format!("{:?} must start with '/'", answer.path),
                    );
                }
            }
            for (i, cb) in scenario.expect.callback.iter().enumerate() {
                if !cb.path.starts_with('/') {
                    problem(
                        &format!("expect.callback[{i}].path"),
                        format!("{:?} must start with '/'", cb.path),
                    );
                }
                if let Some(sig) = &cb.signature {
                    if !["valid", "invalid", "any"].contains(&sig.as_str()) {
                        problem(
                            &format!("expect.callback[{i}].signature"),
                            format!("{sig:?} is not valid, invalid or any"),
                        );
                    }
                }
            }
            if let Some(cb) = &scenario.callback {
                for url in &cb.urls {
                    let ok = [
                        "capture:/",
                        "captures:/",
                        "refused:/",
                        "http://",
                        "https://",
                    ]
                    .iter()
                    .any(|p| url.starts_with(p))
                        || !url.contains("://");
                    if !ok {
                        problem("callback.urls", format!("{url:?}: use capture:/path, captures:/path, refused:/path or a literal URL"));
                    }
                }
            }
            let carrier = scenario.upload.carrier;
            let form_carrier = carrier == Some(super::model::CarrierChoice::Form);
            if scenario.upload.operation == Operation::Post
                && carrier.is_some_and(|c| !matches!(c, super::model::CarrierChoice::Form))
            {
                problem(
                    "upload.carrier",
                    "PostObject carries its callback in the form; omit carrier or write \"form\""
                        .into(),
                );
            } else if scenario.upload.operation != Operation::Post && form_carrier {
                problem(
                    "upload.carrier",
                    "only PostObject has form fields; use header, query or header-and-query".into(),
                );
            }
            let content = match &scenario.upload.content_file {
                Some(path) => match std::fs::read(dir.join(path)) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        problem(
                            "upload.content_file",
                            format!("cannot read {path:?} (relative to {}): {e}", dir.display()),
                        );
                        Vec::new()
                    }
                },
                None => {
                    let pad_byte = match scenario.upload.pad_byte.as_deref() {
                        None => b'a',
                        Some(s) if s.len() == 1 => s.as_bytes()[0],
                        Some(s) => {
                            problem(
                                "upload.pad_byte",
                                format!("{s:?} must be one ASCII character"),
                            );
                            b'a'
                        }
                    };
                    let mut bytes = vec![pad_byte; scenario.upload.pad];
                    bytes.extend_from_slice(scenario.upload.content.as_bytes());
                    bytes
                }
            };
            loaded.push(LoadedScenario {
                scenario,
                file: file.clone(),
                line,
                content,
            });
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(LoadErrors(errors))
    }
}

/// The requirement IDs the scenarios cover.
pub fn covered_requirements(scenarios: &[LoadedScenario]) -> BTreeSet<String> {
    scenarios
        .iter()
        .flat_map(|s| s.scenario.requirements.iter().cloned())
        .collect()
}
