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
