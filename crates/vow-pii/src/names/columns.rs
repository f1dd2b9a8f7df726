//! A table inside text: a column whose cells are mostly names makes its other name-shaped cells names.
//!
//! `scan` sees a CSV or a pasted table as plain text (`번호;담당;상태` then `6190;천연저;대기`, or
//! `9822 채호석 대기 2026-12-17` by spaces). The name model finds most of a column's names; a cell it
//! doubted (a rare surname, a given name also a word) is read in the light of its column: when at least
//! two cells of the column and half of the block's rows hold a name, every cell of three or four Hangul
//! syllables in it is one too, unless it is an ordinary word.

use super::model;
use crate::{Entity, Finding, Validation};

/// How the cells of a line are separated, and how many there are.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Shape {
    delim: u8,
    fields: usize,
}

/// The separator of a line's cells: a tab, `;`, `|` or `,` if it holds one (in that order), else a space.
fn delimiter(line: &[u8]) -> u8 {
    for d in [b'\t', b';', b'|', b','] {
        if line.contains(&d) {
            return d;
        }
    }
    b' '
}

fn shape(line: &[u8]) -> Shape {
    let delim = delimiter(line);
    Shape {
        delim,
        fields: line.iter().filter(|&&b| b == delim).count() + 1,
    }
}

/// The byte range of cell `col` of `line` (offsets in the line), spaces around it trimmed.
fn cell(line: &[u8], delim: u8, col: usize) -> Option<(usize, usize)> {
    let mut start = 0;
    for (i, part) in line.split(|&b| b == delim).enumerate() {
        if i == col {
            let lead = part.iter().take_while(|&&b| b == b' ').count();
            let trail = part[lead..]
                .iter()
                .rev()
                .take_while(|&&b| b == b' ' || b == b'\r')
                .count();
            return Some((start + lead, start + part.len() - trail));
        }
        start += part.len() + 1;
    }
    None
}

/// The index of the cell that holds `s..e` of `line`, if the finding is the whole cell.
fn column_of(line: &[u8], delim: u8, s: usize, e: usize) -> Option<usize> {
    let col = line[..s].iter().filter(|&&b| b == delim).count();
    let (cs, ce) = cell(line, delim, col)?;
    (cs == s && ce == e).then_some(col)
}

fn line_bounds(t: &[u8], at: usize) -> (usize, usize) {
    let start = t[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1);
    let end = t[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(t.len(), |k| at + k);
    (start, end)
}

/// Whether a cell reads as a name once its column says so: three or four Hangul syllables, not an
/// ordinary word.
fn name_shaped(cell: &[u8]) -> bool {
    if !cell.len().is_multiple_of(3) || !(9..=12).contains(&cell.len()) {
        return false;
    }
    let mut syls = [0 as model::Syl; 4];
    for (k, slot) in syls.iter_mut().enumerate().take(cell.len() / 3) {
        match model::syl_at(cell, 3 * k) {
            Some(s) => *slot = s,
            None => return false,
        }
    }
    !model::ko_names().is_cell_word(&syls[..cell.len() / 3])
}

/// Adds to `out` the name-shaped cells of the columns of `t` whose cells are mostly names already found.
pub(crate) fn name_columns(t: &[u8], out: &mut Vec<Finding>) {
    let mut persons: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| f.entity == Entity::Person)
        .map(|f| (f.start, f.end))
        .collect();
    if persons.len() < 2 || !t.contains(&b'\n') {
        return;
    }
    persons.sort_unstable();
    let mut done_until = 0;
    let mut found = Vec::new();
    for &(s, e) in &persons {
        if s < done_until {
            continue;
        }
        let (ls, le) = line_bounds(t, s);
        let line = &t[ls..le];
        let sh = shape(line);
        if sh.fields < 2 {
            continue;
        }
        let Some(col) = column_of(line, sh.delim, s - ls, e - ls) else {
            continue;
        };
        // The block: the lines around of the same shape.
        let mut bs = ls;
        while bs > 0 {
            let (ps, _) = line_bounds(t, bs - 1);
            if shape(&t[ps..bs - 1]) != sh {
                break;
            }
            bs = ps;
        }
        let mut be = le;
        while be < t.len() {
            let (_, ne) = line_bounds(t, be + 1);
            if shape(&t[be + 1..ne]) != sh {
                break;
            }
            be = ne;
        }
        done_until = be;
        // Count the rows whose cell in the column is a name already, and list the others.
        let mut rows = 0;
        let mut named = 0;
        let mut others: Vec<(usize, usize)> = Vec::new();
        let mut at = bs;
        while at <= be {
            let (ls, le) = line_bounds(t, at);
            if let Some((cs, ce)) = cell(&t[ls..le], sh.delim, col) {
                let (cs, ce) = (ls + cs, ls + ce);
                rows += 1;
                // The last finding that starts at or before the cell (they are sorted).
                let k = persons.partition_point(|&(ps, _)| ps <= cs);
                if k > 0 && persons[k - 1].1 >= ce {
                    named += 1;
                } else if name_shaped(&t[cs..ce]) {
                    others.push((cs, ce));
                }
            }
            at = le + 1;
        }
        // The first row may be a header.
        if named >= 2 && 2 * named >= rows - 1 {
            found.extend(others.into_iter().map(|(cs, ce)| Finding {
                entity: Entity::Person,
                start: cs,
                end: ce,
                score: 0.6,
                validation: Validation::Context,
            }));
        }
    }
    out.extend(found);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        let t = text.as_bytes();
        let mut out: Vec<Finding> = Vec::new();
        // Two names already found in the second column.
        for w in ["김민수", "이영희"] {
            if let Some(s) = text.find(w) {
                out.push(Finding {
                    entity: Entity::Person,
                    start: s,
                    end: s + w.len(),
                    score: 0.6,
                    validation: Validation::Context,
                });
            }
        }
        let before = out.len();
        name_columns(t, &mut out);
        out[before..]
            .iter()
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn a_column_of_names_makes_its_other_cells_names() {
        assert_eq!(
            names("번호;담당;상태\n1;김민수;대기\n2;천연저;완료\n3;이영희;진행"),
            ["천연저"]
        );
        assert_eq!(
            names("번호 담당 상태\n1 김민수 대기\n2 천연저 완료\n3 이영희 진행"),
            ["천연저"]
        );
        // Not another column, not a frequent word, not prose.
        assert!(names("1;김민수;대기중\n2;사용자;완료\n3;이영희;진행").is_empty());
        assert!(names("김민수 씨가 왔다.\n천연저 씨가 갔다.\n이영희 씨도").is_empty());
    }
}
