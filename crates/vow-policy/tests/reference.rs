//! The reference of the policy file format (`docs/policy-reference.md`, made from `vow_policy::schema`) says
//! what the parser does: every table and field of the model is documented and nothing else is, a field is
//! documented as required exactly when serde requires it, every documented default is the parser's, and
//! every enum lists exactly the values the model takes. The structural check built on the same schema
//! agrees with serde on every field. The model is probed through serde (`from_toml_str`), never through the
//! schema, so neither can drift from the other unnoticed.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use vow_policy::schema::{self, check_structure, Field, Kind, Table, WhenOmitted};
use vow_policy::{from_toml_str, Policy};

// -----------------------------------------------------------------------------------------------------
// A document that uses every documented table and field, made from the schema
// -----------------------------------------------------------------------------------------------------

fn one_value(kind: &Kind) -> toml::Value {
    match kind {
        Kind::Str | Kind::Key(_) => toml::Value::String("k".into()),
        Kind::Pattern => toml::Value::String("user.*".into()),
        Kind::Text => {
            let mut t = toml::Table::new();
            t.insert("ko".into(), "가".into());
            t.insert("en".into(), "a".into());
            toml::Value::Table(t)
        }
        Kind::Bool => toml::Value::Boolean(true),
        Kind::Int => toml::Value::Integer(1),
        Kind::Date => toml::Value::Datetime("2025-01-01".parse().unwrap()),
        Kind::Period => toml::Value::String("1d".into()),
        Kind::Enum(variants) => toml::Value::String(variants()[0].into()),
        Kind::Table(table) => toml::Value::Table(sample_table(table)),
    }
}

fn sample_value(field: &Field) -> toml::Value {
    let value = one_value(&field.kind);
    if field.list {
        toml::Value::Array(vec![value])
    } else {
        value
    }
}

fn sample_table(table: &Table) -> toml::Table {
    table
        .fields
        .iter()
        .map(|f| (f.name.to_string(), sample_value(f)))
        .collect()
}

fn sample() -> toml::Table {
    sample_table(&schema::FILE)
}

/// A step from a table to one of its tables: a key, then, for a list of tables, its first entry.
#[derive(Clone, Debug)]
struct Place {
    steps: Vec<(String, bool)>,
    table: &'static Table,
}

impl Place {
    fn name(&self) -> String {
        if self.steps.is_empty() {
            "the file".to_string()
        } else {
            format!("[{}]", self.table.name)
        }
    }
}

/// Every table of the sample with its place: the file, then every table depth first.
fn places() -> Vec<Place> {
    fn walk(place: Place, out: &mut Vec<Place>) {
        out.push(place.clone());
        for field in place.table.fields {
            if let Kind::Table(inner) = field.kind {
                let mut steps = place.steps.clone();
                steps.push((field.name.to_string(), field.list));
                walk(
                    Place {
                        steps,
                        table: inner,
                    },
                    out,
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(
        Place {
            steps: Vec::new(),
            table: &schema::FILE,
        },
        &mut out,
    );
    out
}

/// The sample with `change` applied to the table at `place`.
fn mutated(place: &Place, change: impl FnOnce(&mut toml::Table)) -> String {
    let mut doc = sample();
    let mut table = &mut doc;
    for (key, list) in &place.steps {
        let value = table.get_mut(key).unwrap();
        table = if *list {
            value.as_array_mut().unwrap()[0].as_table_mut().unwrap()
        } else {
            value.as_table_mut().unwrap()
        };
    }
    change(table);
    toml::to_string(&doc).unwrap()
}

fn serde(text: &str) -> Result<Policy, String> {
    from_toml_str(text).map_err(|e| e.message().to_string())
}

/// The backquoted names after "expected" in a serde message.
fn expected_names(message: &str) -> Vec<String> {
    let (_, tail) = message.split_once("expected").unwrap_or(("", ""));
    tail.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

// -----------------------------------------------------------------------------------------------------
// The reference against the model
// -----------------------------------------------------------------------------------------------------

#[test]
fn a_document_with_every_documented_field_parses() {
    let text = toml::to_string(&sample()).unwrap();
    serde(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(check_structure(&text).is_empty());
}

#[test]
fn every_table_documents_exactly_the_fields_of_the_model_in_its_order() {
    for place in places() {
        let text = mutated(&place, |t| {
            t.insert("zz_undocumented".into(), toml::Value::Integer(1));
        });
        let err = serde(&text).unwrap_err();
        assert!(
            err.starts_with("unknown field `zz_undocumented`"),
            "{}: {err}",
            place.name()
        );
        let documented: Vec<&str> = place.table.fields.iter().map(|f| f.name).collect();
        assert_eq!(
            expected_names(&err),
            documented,
            "{}: the model's fields, and the reference's",
            place.name()
        );
    }
}

#[test]
fn a_field_is_documented_as_required_exactly_when_the_parser_requires_it() {
    for place in places() {
        for field in place.table.fields {
            let text = mutated(&place, |t| {
                t.remove(field.name);
            });
            match serde(&text) {
                Err(e) => {
                    assert!(
                        field.required(),
                        "{} `{}` is documented as optional, but: {e}",
                        place.name(),
                        field.name
                    );
                    assert_eq!(e, format!("missing field `{}`", field.name));
                }
                Ok(_) => assert!(
                    !field.required(),
                    "{} `{}` is documented as required, but the parser takes a file without it",
                    place.name(),
                    field.name
                ),
            }
        }
    }
}

#[test]
fn every_documented_default_is_the_parsers() {
    let mut checked = 0;
    for place in places() {
        for field in place.table.fields {
            let WhenOmitted::Value(literal) = field.default else {
                continue;
            };
            let value: toml::Table = toml::from_str(&format!("v = {literal}")).unwrap();
            let omitted = serde(&mutated(&place, |t| {
                t.remove(field.name);
            }))
            .unwrap();
            let given = serde(&mutated(&place, |t| {
                t.insert(field.name.into(), value["v"].clone());
            }))
            .unwrap();
            assert_eq!(
                omitted,
                given,
                "{} `{}`: the parser's default is not {literal}",
                place.name(),
                field.name
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
}

#[test]
fn every_enum_field_lists_exactly_the_values_the_model_takes() {
    let mut checked = 0;
    for place in places() {
        for field in place.table.fields {
            let Kind::Enum(variants) = field.kind else {
                continue;
            };
            let wrap = |v: &str| {
                let v = toml::Value::String(v.into());
                if field.list {
                    toml::Value::Array(vec![v])
                } else {
                    v
                }
            };
            let err = serde(&mutated(&place, |t| {
                t.insert(field.name.into(), wrap("zz_unknown"));
            }))
            .unwrap_err();
            assert!(err.starts_with("unknown variant `zz_unknown`"), "{err}");
            assert_eq!(expected_names(&err), variants(), "{}", field.name);
            for v in variants() {
                serde(&mutated(&place, |t| {
                    t.insert(field.name.into(), wrap(v));
                }))
                .unwrap_or_else(|e| panic!("{} `{}` = {v:?}: {e}", place.name(), field.name));
            }
            checked += 1;
        }
    }
    assert!(checked >= 14, "{checked}");
}

/// A value that no field of `kind` takes.
fn wrong_value(field: &Field) -> toml::Value {
    match (field.list, field.kind) {
        (true, _) => toml::Value::Boolean(true),
        (false, Kind::Bool | Kind::Int) => toml::Value::String("x".into()),
        (false, Kind::Table(_)) => toml::Value::Integer(7),
        (false, _) => toml::Value::Boolean(true),
    }
}

#[test]
fn every_field_refuses_a_value_of_another_type() {
    for place in places() {
        for field in place.table.fields {
            let text = mutated(&place, |t| {
                t.insert(field.name.into(), wrong_value(field));
            });
            assert!(
                serde(&text).is_err(),
                "{} `{}` takes {:?}",
                place.name(),
                field.name,
                wrong_value(field)
            );
        }
    }
}

// -----------------------------------------------------------------------------------------------------
// The structural check against serde
// -----------------------------------------------------------------------------------------------------

#[test]
fn the_structural_check_names_each_missing_required_field_and_nothing_else() {
    for place in places() {
        for field in place.table.fields {
            let text = mutated(&place, |t| {
                t.remove(field.name);
            });
            let found = check_structure(&text);
            if !field.required() {
                assert!(
                    found.is_empty(),
                    "{} `{}`: {found:#?}",
                    place.name(),
                    field.name
                );
                continue;
            }
            assert_eq!(
                found.len(),
                1,
                "{} `{}`: {found:#?}",
                place.name(),
                field.name
            );
            let d = &found[0];
            assert!(
                d.message.contains(&format!("`{}`", field.name))
                    || d.message.contains(&format!("`[{}]`", field.name)),
                "{d:?}"
            );
            assert!(
                place.steps.is_empty() || d.location.is_some(),
                "a missing field points at its table: {d:?}"
            );
        }
    }
}

#[test]
fn the_structural_check_finds_every_value_the_parser_refuses() {
    for place in places() {
        for field in place.table.fields {
            let text = mutated(&place, |t| {
                t.insert(field.name.into(), wrong_value(field));
            });
            let found = check_structure(&text);
            assert_eq!(
                found.len(),
                1,
                "{} `{}`: {found:#?}",
                place.name(),
                field.name
            );
            let location = found[0].location.unwrap();
            let line = text.lines().nth(location.line - 1).unwrap();
            assert!(
                line.contains(field.name),
                "{} `{}` points at line {line:?}",
                place.name(),
                field.name
            );
        }
    }
}

#[test]
fn every_policy_the_repository_ships_passes_the_structural_check() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts: Vec<(String, String)> = vow_policy::starter_variants();
    for dir in ["examples/policies", "crates/vow-policy/tests/fixtures"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                texts.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    assert!(texts.len() >= 8);
    for (name, text) in texts {
        serde(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(check_structure(&text).is_empty(), "{name}");
    }
}

// -----------------------------------------------------------------------------------------------------
// The file on disk
// -----------------------------------------------------------------------------------------------------

#[test]
fn docs_policy_reference_is_the_one_the_schema_makes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy-reference.md");
    let made = schema::reference_markdown();
    if std::env::var_os("VOW_UPDATE_REFERENCE").is_some() {
        std::fs::write(&path, &made).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == made,
        "docs/policy-reference.md is out of date; regenerate it with \
         VOW_UPDATE_REFERENCE=1 cargo test -p vow-policy --test reference"
    );
}

#[test]
fn the_reference_documents_every_field_with_its_law_or_its_tables() {
    let made = schema::reference_markdown();
    for (field, table) in schema::tables() {
        let header = if field.list {
            format!("## `[[{}]]`", table.name)
        } else {
            format!("## `[{}]`", table.name)
        };
        assert!(made.contains(&header), "{header}");
        for f in table.fields {
            assert!(made.contains(&format!("| `{}` |", f.name)), "{}", f.name);
            assert!(
                !f.about.is_empty(),
                "{}.{} says nothing",
                table.name,
                f.name
            );
        }
        assert!(
            !table.law.is_empty() || table.name == "waiver",
            "[{}] names no law",
            table.name
        );
    }
}
