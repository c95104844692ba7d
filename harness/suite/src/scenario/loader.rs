//! Loading and validating scenario files, with errors that name the file,
//! the line and the field.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use super::model::{CarrierChoice, Operation, PadByte, Scenario, ScenarioFile};

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
/// against the requirement IDs in `known_requirements`. Every problem in
/// every file is collected, so an author fixes them in one pass.
pub fn load_dir(
    dir: &Path,
    known_requirements: &HashMap<String, Requirement>,
) -> Result<Vec<LoadedScenario>, LoadErrors> {
    let files = scenario_files(dir)?;
    let mut errors = Vec::new();
    let mut loaded = Vec::new();
    let mut unique = Uniqueness::default();
    for file in files {
        let (text, parsed) = match parse_file(&file) {
            Ok(parsed) => parsed,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for spanned in parsed.scenario {
            let line = line_of(&text, spanned.span().start);
            let scenario = spanned.into_inner();
            let mut problems = check_scenario(&scenario, known_requirements);
            problems.extend(unique.claim(&scenario, &file, line));
            let content = content_of(&scenario, dir).unwrap_or_else(|problem| {
                problems.push(problem);
                Vec::new()
            });
            errors.extend(problems.into_iter().map(|(field, message)| LoadError {
                file: file.clone(),
                line: Some(line),
                message: format!("scenario {:?}: {field}: {message}", scenario.id),
            }));
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

/// The most bytes a scenario may ask the runner to generate (padding, an
/// oversized answer): far above what any scenario needs (the response limit
/// is 1 MiB), far below what would exhaust memory.
pub const MAX_GENERATED_BYTES: usize = 64 * 1024 * 1024;

/// A problem with one field of a scenario: `(field, what is wrong)`.
type Problem = (String, String);

/// The `*.toml` files directly in `dir`, sorted.
fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, LoadErrors> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        LoadErrors(vec![LoadError {
            file: dir.to_owned(),
            line: None,
            message: format!("cannot read the scenario directory: {e}"),
        }])
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and parses one file; serde reports unknown fields, wrong types and
/// bad enum words (URL kinds, signature expectations, carriers) with a span.
fn parse_file(file: &Path) -> Result<(String, ScenarioFile), LoadError> {
    let text = std::fs::read_to_string(file).map_err(|e| LoadError {
        file: file.to_owned(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    match toml::from_str(&text) {
        Ok(parsed) => Ok((text, parsed)),
        Err(e) => Err(LoadError {
            file: file.to_owned(),
            line: e.span().map(|s| line_of(&text, s.start)),
            message: e.message().trim().to_owned(),
        }),
    }
}

/// The checks serde cannot make: id syntax, requirement IDs, paths, and
/// which carrier goes with which operation.
fn check_scenario(scenario: &Scenario, known: &HashMap<String, Requirement>) -> Vec<Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut problem = |field: &str, message: String| problems.push((field.to_owned(), message));
    let id_ok = !scenario.id.is_empty()
        && scenario
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/._-".contains(&b));
    if !id_ok {
        problem(
            "id",
            "use lower-case letters, digits and / . _ - only".into(),
        );
    }
    if scenario.requirements.is_empty() {
        problem(
            "requirements",
            "name at least one requirement ID from spec/requirements.md".into(),
        );
    }
    for id in scenario
        .requirements
        .iter()
        .filter(|id| !known.contains_key(*id))
    {
        problem(
            "requirements",
            format!("{id} is not in spec/requirements.md"),
        );
    }
    for answer in scenario.answer.iter().filter(|a| !a.path.starts_with('/')) {
        problem(
            "answer.path",
            format!("{:?} must start with '/'", answer.path),
        );
    }
    // Values that would abort the run (allocation) or that no HTTP server
    // can send are refused here, with the bound, instead.
    for answer in &scenario.answer {
        if let Some(status) = answer.status.filter(|s| !(100..=599).contains(s)) {
            problem(
                "answer.status",
                format!("{status} is not an HTTP status; use 100 to 599"),
            );
        }
        if let Some(size) = answer.oversize.filter(|s| *s > MAX_GENERATED_BYTES) {
            problem(
                "answer.oversize",
                format!(
                    "{size} bytes is more than the {MAX_GENERATED_BYTES} a scenario may generate"
                ),
            );
        }
    }
    if scenario.upload.pad > MAX_GENERATED_BYTES {
        problem(
            "upload.pad",
            format!(
                "{} bytes is more than the {MAX_GENERATED_BYTES} a scenario may generate",
                scenario.upload.pad
            ),
        );
    }
    for (i, cb) in scenario.expect.callback.iter().enumerate() {
        if !cb.path.starts_with('/') {
            problem(
                &format!("expect.callback[{i}].path"),
                format!("{:?} must start with '/'", cb.path),
            );
        }
    }
    let carrier = scenario.upload.carrier;
    let is_post = scenario.upload.operation == Operation::Post;
    if is_post && carrier.is_some_and(|c| c != CarrierChoice::Form) {
        problem(
            "upload.carrier",
            "PostObject carries its callback in the form; omit carrier or write \"form\"".into(),
        );
    } else if !is_post && carrier == Some(CarrierChoice::Form) {
        problem(
            "upload.carrier",
            "only PostObject has form fields; use header, query or header-and-query".into(),
        );
    }
    problems
}

/// Ids and object keys seen so far: both must be unique across the suite
/// (keys isolate scenarios that run at the same time).
#[derive(Default)]
struct Uniqueness {
    ids: HashMap<String, (PathBuf, usize)>,
    keys: HashMap<String, String>,
}

impl Uniqueness {
    fn claim(&mut self, scenario: &Scenario, file: &Path, line: usize) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some((other, other_line)) = self.ids.get(&scenario.id) {
            problems.push((
                "id".to_owned(),
                format!(
                    "already used at {}:{other_line}; ids must be unique",
                    other.display()
                ),
            ));
        }
        self.ids
            .insert(scenario.id.clone(), (file.to_owned(), line));
        if let Some(other) = self.keys.get(&scenario.upload.key) {
            problems.push((
                "upload.key".to_owned(),
                format!("already used by scenario {other:?}; keys isolate scenarios, so each must be unique"),
            ));
        }
        self.keys
            .insert(scenario.upload.key.clone(), scenario.id.clone());
        problems
    }
}

/// The object content: `content_file` (relative to `dir`), or `pad` bytes of
/// `pad_byte` followed by `content`.
fn content_of(scenario: &Scenario, dir: &Path) -> Result<Vec<u8>, Problem> {
    let upload = &scenario.upload;
    if let Some(path) = &upload.content_file {
        return std::fs::read(dir.join(path)).map_err(|e| {
            (
                "upload.content_file".to_owned(),
                format!("cannot read {path:?} (relative to {}): {e}", dir.display()),
            )
        });
    }
    let PadByte(pad_byte) = upload.pad_byte.unwrap_or(PadByte(b'a'));
    // check_scenario reports a larger pad; never allocate it.
    let mut bytes = vec![pad_byte; upload.pad.min(MAX_GENERATED_BYTES)];
    bytes.extend_from_slice(upload.content.as_bytes());
    Ok(bytes)
}

/// The requirement IDs the scenarios cover.
pub fn covered_requirements(scenarios: &[LoadedScenario]) -> BTreeSet<String> {
    scenarios
        .iter()
        .flat_map(|s| s.scenario.requirements.iter().cloned())
        .collect()
}
