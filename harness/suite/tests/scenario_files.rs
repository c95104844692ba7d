//! The scenario suite loads cleanly, and the loader's errors name the file,
//! line and field.

use crate::support::root;

use cbspec_suite::scenario::{load_dir, read_requirements};

#[test]
fn every_scenario_file_loads() {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let scenarios =
        load_dir(&root().join("scenarios"), &requirements).unwrap_or_else(|e| panic!("{e}"));
    assert!(!scenarios.is_empty());
}

#[test]
fn loader_errors_name_file_line_and_field() {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let dir = std::env::temp_dir().join(format!("cbspec-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.toml"),
        "# comment\n\n[[scenario]]\nid = \"Bad Id\"\ntitle = \"t\"\nrequirements = [\"CB-NOPE\"]\n[scenario.upload]\noperation = \"put\"\nkey = \"k\"\n[scenario.expect]\nstatus = 200\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("syntax.toml"),
        "[[scenario]]\nid = \"x\"\ntitle = \n",
    )
    .unwrap();
    std::fs::write(
        dir.join("unknown.toml"),
        "[[scenario]]\nid = \"u\"\ntitle = \"t\"\nrequirements = [\"CB-URL-MAX5\"]\ncolour = 1\n",
    )
    .unwrap();
    let errors = load_dir(&dir, &requirements).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        errors.contains("bad.toml:3: scenario \"Bad Id\": id: use lower-case"),
        "{errors}"
    );
    assert!(
        errors.contains(
            "bad.toml:3: scenario \"Bad Id\": requirements: CB-NOPE is not in spec/requirements.md"
        ),
        "{errors}"
    );
    assert!(errors.contains("syntax.toml:3:"), "{errors}");
    assert!(
        errors.contains("unknown.toml:") && errors.contains("colour"),
        "{errors}"
    );
}

/// URL kinds, signature expectations and padding bytes are parsed by serde
/// into enums: a wrong word is refused with the file, the line and a hint.
#[test]
fn wrong_url_kinds_signature_words_and_pad_bytes_are_refused() {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let dir = std::env::temp_dir().join(format!("cbspec-enums-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // `extra` goes into the upload table; tables after it follow the expect table.
    let scenario = |extra: &str| {
        let (upload, tables) = extra
            .split_once('[')
            .map_or((extra, String::new()), |(u, t)| (u, format!("[{t}")));
        format!(
            "[[scenario]]\nid = \"e\"\ntitle = \"t\"\nrequirements = [\"CB-URL-MAX5\"]\n\
             [scenario.upload]\noperation = \"put\"\nkey = \"k\"\n{upload}\
             [scenario.expect]\nstatus = 200\n{tables}"
        )
    };
    let cases = [
        (
            "url.toml",
            scenario("[scenario.callback]\nurls = [\"ftp://x.example/cb\"]\n"),
            "use capture:/path, captures:/path, refused:/path or a literal URL",
        ),
        (
            "path.toml",
            scenario("[scenario.callback]\nurls = [\"capture:cb\"]\n"),
            "the path after capture: must start with '/'",
        ),
        (
            "sig.toml",
            scenario("[[scenario.expect.callback]]\npath = \"/cb\"\nsignature = \"maybe\"\n"),
            "maybe",
        ),
        (
            "pad.toml",
            scenario("pad = 4\npad_byte = \"ab\"\n"),
            "\"ab\" must be one ASCII character",
        ),
        (
            "huge.toml",
            scenario("pad = 4611686018427387904\n"),
            "upload.pad: 4611686018427387904 bytes is more than the 67108864",
        ),
        (
            "oversize.toml",
            scenario("[[scenario.answer]]\npath = \"/cb\"\noversize = 1099511627776\n"),
            "answer.oversize: 1099511627776 bytes is more than",
        ),
        (
            "status.toml",
            scenario("[[scenario.answer]]\npath = \"/cb\"\nstatus = 1000\n"),
            "answer.status: 1000 is not an HTTP status",
        ),
    ];
    for (file, text, hint) in &cases {
        let one = dir.join(file.trim_end_matches(".toml"));
        std::fs::create_dir_all(&one).unwrap();
        std::fs::write(one.join(file), text).unwrap();
        let errors = load_dir(&one, &requirements).unwrap_err().to_string();
        assert!(errors.contains(&format!("{file}:")), "{errors}");
        assert!(errors.contains(hint), "{file}: {errors}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
