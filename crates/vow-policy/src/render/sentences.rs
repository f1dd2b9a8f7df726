//! Sentence de-duplication: a sentence the policy's author wrote and the document also says is printed once.

use super::types::Block;

/// The sentences of a paragraph or list item: split after `.`, `?` or `!` followed by white space.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '?' | '!')
            && chars.peek().is_some_and(|(_, next)| next.is_whitespace())
        {
            out.push(text[start..=i].trim());
            start = i + 1;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// Whether a piece of text is a sentence: it ends as one and is long enough to say something. Fragments such
/// as "Art." and label lines such as "E-mail: privacy@example.com" (which the officer's and the deputy's lists
/// may share) are not, and are never removed.
fn is_sentence(piece: &str) -> bool {
    piece.ends_with(['.', '?', '!']) && piece.chars().count() >= 12
}

fn normalised(sentence: &str) -> String {
    sentence.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes, from paragraphs and list items, every sentence that an earlier block of the same section already
/// said — a template sentence that the policy's own text repeats, for example — and drops blocks left empty.
/// Table cells repeat legitimately (the same period in two rows) and are left alone.
pub fn without_repeated_sentences(blocks: Vec<Block>) -> Vec<Block> {
    let mut seen = std::collections::HashSet::new();
    let mut keep_new = |text: &str| -> Option<String> {
        let mut repeated = false;
        let kept: Vec<&str> = sentences(text)
            .into_iter()
            .filter(|s| {
                if !is_sentence(s) || seen.insert(normalised(s)) {
                    true
                } else {
                    repeated = true;
                    false
                }
            })
            .collect();
        if !repeated {
            Some(text.to_string())
        } else if kept.iter().any(|s| is_sentence(s)) {
            Some(kept.join(" "))
        } else {
            None
        }
    };
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        match block {
            Block::Paragraph { text } => {
                if let Some(text) = keep_new(&text) {
                    out.push(Block::Paragraph { text });
                }
            }
            Block::List { items } => {
                let items: Vec<String> = items.iter().filter_map(|i| keep_new(i)).collect();
                if !items.is_empty() {
                    out.push(Block::List { items });
                }
            }
            other => out.push(other),
        }
    }
    // A heading whose content was all removed would head nothing.
    let mut cleaned: Vec<Block> = Vec::with_capacity(out.len());
    for (i, block) in out.iter().enumerate() {
        let heads_nothing = matches!(block, Block::Heading { .. })
            && out
                .get(i + 1)
                .is_none_or(|next| matches!(next, Block::Heading { .. }));
        if !heads_nothing {
            cleaned.push(block.clone());
        }
    }
    cleaned
}

/// The sentences of a paragraph or list item that [`without_repeated_sentences`] keeps apart, normalised:
/// what a test of the rendered page compares.
pub fn sentences_of(text: &str) -> Vec<String> {
    sentences(text)
        .into_iter()
        .filter(|s| is_sentence(s))
        .map(normalised)
        .collect()
}
