//! The out-of-sample evaluation: sentences and values written outside this project (`eval/external.tsv`,
//! sources in `eval/README.md`), never used to tune a recognizer. Prints per-kind recall and precision.
//!
//! `cargo run -p vow-pii --release --example eval_external [-- --show]`
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use vow_pii::{Date, Entity, Scanner};

const SET: &str = include_str!("../eval/external.tsv");

#[derive(Default)]
struct Row {
    expected: u64,
    recalled: u64,
    exact: u64,
    found: u64,
    true_found: u64,
}

fn main() {
    let show = std::env::args().any(|a| a == "--show");
    let scanner = Scanner::new().with_today(Date {
        year: 2026,
        month: 11,
        day: 26,
    });
    // Every text once, with the values of each kind it holds.
    let mut texts: Vec<(String, Vec<(Entity, String)>)> = Vec::new();
    for line in SET.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let kind = Entity::parse(cols[0]).unwrap();
        let i = match texts.iter().position(|(t, _)| t == cols[2]) {
            Some(i) => i,
            None => {
                texts.push((cols[2].to_owned(), Vec::new()));
                texts.len() - 1
            }
        };
        if cols[1] != "-" {
            texts[i].1.push((kind, cols[1].to_owned()));
        }
    }
    let mut rows: BTreeMap<Entity, Row> = BTreeMap::new();
    let mut negatives = 0;
    for (text, expected) in &texts {
        negatives += u64::from(expected.is_empty());
        let findings = scanner.scan(text.as_bytes());
        let spans: Vec<(Entity, usize, usize)> = expected
            .iter()
            .map(|(k, v)| {
                let s = text.find(v.as_str()).unwrap();
                (*k, s, s + v.len())
            })
            .collect();
        for &(k, s, e) in &spans {
            let row = rows.entry(k).or_default();
            row.expected += 1;
            let covering = findings
                .iter()
                .find(|f| f.entity == k && f.start <= s && f.end >= e);
            row.recalled += u64::from(covering.is_some());
            row.exact += u64::from(covering.is_some_and(|f| f.start == s && f.end == e));
            if covering.is_none() && show {
                let got: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{} {:?}", f.entity, &text[f.range()]))
                    .collect();
                eprintln!("MISSED {k} {:?} in {text:?}; found {got:?}", &text[s..e]);
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
    println!(
        "out-of-sample set: {} texts ({} with nothing to find), {} values",
        texts.len(),
        negatives,
        rows.values().map(|r| r.expected).sum::<u64>()
    );
    println!();
    println!("| kind | values | recall | exact span | findings | precision |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (k, r) in &rows {
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                "–".to_owned()
            } else {
                format!("{:.3}", a as f64 / b as f64)
            }
        };
        println!(
            "| {k} | {} | {} | {} | {} | {} |",
            r.expected,
            ratio(r.recalled, r.expected),
            ratio(r.exact, r.expected),
            r.found,
            ratio(r.true_found, r.found)
        );
    }
}
