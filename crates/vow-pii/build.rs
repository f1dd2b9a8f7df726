//! Writes the Korean word list's lookup table (`src/names/packing.rs` says its shape) into OUT_DIR,
//! so that no process spends its start hashing 300,000 words: the table is read where it lies.

use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/names/packing.rs"]
mod packing;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=data/ko_words.txt");
    println!("cargo:rerun-if-changed=src/names/packing.rs");
    let words = std::fs::read("data/ko_words.txt")?;
    let entries: Vec<u64> = words
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .map(packing::entry_of_line)
        .collect();
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("ko_words.table");
    std::fs::write(out, packing::table_of(&entries))?;
    Ok(())
}
