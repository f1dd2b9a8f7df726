//! The encodings a request can hide text in, read the way a model would read them: base64 (standard
//! or URL-safe, padded or not, wrapped in lines), percent-encoding, `data:` URLs; and the signatures of
//! the binary formats the proxy cannot read inside (images, audio, video, documents).

use crate::kinds::Media;

/// The shortest base64 run worth decoding: 12 characters carry 9 bytes, enough for an e-mail address;
/// a phone number needs 16.
pub const MIN_BASE64_RUN: usize = 12;

/// What a base64 character stands for; 64 for the padding `=`, 255 for anything else. Both alphabets.
const fn base64_table() -> [u8; 256] {
    let mut table = [255u8; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    table[b'+' as usize] = 62;
    table[b'-' as usize] = 62;
    table[b'/' as usize] = 63;
    table[b'_' as usize] = 63;
    table[b'=' as usize] = 64;
    table
}

static BASE64: [u8; 256] = base64_table();

/// Whether `b` can be part of a base64 run (a character of either alphabet or a line break inside).
fn in_run(b: u8) -> bool {
    BASE64[usize::from(b)] < 64 || b == b'\n' || b == b'\r'
}

/// The runs of base64 characters of `text` long enough to decode: (start, end), end past any padding.
/// A line break inside a run is part of it (base64 is often wrapped); one at either end is not.
pub fn base64_runs(text: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !in_run(text[i]) || text[i] == b'\n' || text[i] == b'\r' {
            i += 1;
            continue;
        }
        let start = i;
        let mut chars = 0;
        while i < text.len() && in_run(text[i]) {
            if BASE64[usize::from(text[i])] < 64 {
                chars += 1;
            }
            i += 1;
        }
        let mut end = i;
        while end > start && (text[end - 1] == b'\n' || text[end - 1] == b'\r') {
            end -= 1;
        }
        let mut padded = end;
        while padded < text.len() && padded - end < 2 && text[padded] == b'=' {
            padded += 1;
        }
        if chars >= MIN_BASE64_RUN {
            runs.push((start, padded));
        }
        i = padded.max(i);
    }
    runs
}

/// Whether the whole of `text` (but for surrounding whitespace) is one base64 run of at least `min`
/// characters.
pub fn is_base64(text: &[u8], min: usize) -> bool {
    let trimmed = text.trim_ascii();
    let padding = trimmed
        .iter()
        .rev()
        .take(2)
        .take_while(|&&b| b == b'=')
        .count();
    let body = &trimmed[..trimmed.len() - padding];
    // One pass: every byte a base64 character or a line break, and enough characters.
    let mut chars = 0;
    for &b in body {
        if BASE64[usize::from(b)] < 64 {
            chars += 1;
        } else if b != b'\n' && b != b'\r' {
            return false;
        }
    }
    chars >= min.max(1)
}

/// How a run was spelt, to spell its replacement the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spelling {
    url_safe: bool,
    padded: bool,
}

impl Spelling {
    /// The standard alphabet, padded.
    pub const STANDARD: Spelling = Spelling {
        url_safe: false,
        padded: true,
    };
}

/// Decodes a base64 run, either alphabet, skipping line breaks, padding optional. At most `limit`
/// input characters are read (a prefix is enough to recognise a format). A last lone character (which
/// carries no whole byte) is ignored.
pub fn decode_base64(run: &[u8], limit: usize) -> (Vec<u8>, Spelling) {
    let mut out = Vec::with_capacity(run.len().min(limit) / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut seen = 0;
    let mut url_safe = false;
    let mut standard = false;
    let mut padded = false;
    for &b in run {
        let v = BASE64[usize::from(b)];
        if v == 64 {
            padded = true;
            break;
        }
        if v > 64 {
            continue;
        }
        if seen == limit {
            break;
        }
        seen += 1;
        match b {
            b'-' | b'_' => url_safe = true,
            b'+' | b'/' => standard = true,
            _ => {}
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    (
        out,
        Spelling {
            url_safe: url_safe && !standard,
            padded,
        },
    )
}

/// Encodes `bytes` spelt as `spelling`.
pub fn encode_base64(bytes: &[u8], spelling: Spelling) -> String {
    let alphabet: &[u8; 64] = if spelling.url_safe {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if spelling.padded {
                out.push('=');
            }
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether `text` holds a `%XX` escape.
pub fn has_percent_escape(text: &[u8]) -> bool {
    if !text.contains(&b'%') {
        return false;
    }
    let mut from = 0;
    while let Some(p) = text[from..].iter().position(|&b| b == b'%') {
        let at = from + p;
        if text.get(at + 1).copied().and_then(hex_value).is_some()
            && text.get(at + 2).copied().and_then(hex_value).is_some()
        {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Decodes `%XX` escapes (a `%` not followed by two hex digits stays as it is).
pub fn decode_percent(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' {
            if let (Some(h), Some(l)) = (
                text.get(i + 1).copied().and_then(hex_value),
                text.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// Re-encodes a percent-encoded `original` whose decoded form `before` became `after`: what did not
/// change keeps its original spelling, the changed middle is escaped (all but unreserved characters).
pub fn reencode_percent(original: &[u8], before: &[u8], after: &[u8]) -> Vec<u8> {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let max_suffix = before.len().min(after.len()) - prefix;
    let suffix = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    // Where decoded byte `n` starts in the original.
    let offset = |n: usize| -> usize {
        let mut i = 0;
        let mut seen = 0;
        while i < original.len() && seen < n {
            let escaped = original[i] == b'%'
                && original.get(i + 1).copied().and_then(hex_value).is_some()
                && original.get(i + 2).copied().and_then(hex_value).is_some();
            i += if escaped { 3 } else { 1 };
            seen += 1;
        }
        i
    };
    let start = offset(prefix);
    let end = offset(before.len() - suffix);
    let mut out = Vec::with_capacity(original.len() + 16);
    out.extend_from_slice(&original[..start]);
    for &b in &after[prefix..after.len() - suffix] {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out.extend_from_slice(&original[end..]);
    out
}

/// The pieces of text that may be percent-encoded: runs without whitespace or quotes that hold an
/// escape. (start, end).
pub fn percent_segments(text: &[u8]) -> Vec<(usize, usize)> {
    let boundary = |b: u8| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>');
    let mut segments = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if boundary(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && !boundary(text[i]) {
            i += 1;
        }
        if has_percent_escape(&text[start..i]) {
            segments.push((start, i));
        }
    }
    segments
}

/// A `data:` URL taken apart: its media type (lower case, without parameters; empty when absent),
/// where its header ends (the comma), and whether its payload is base64.
#[derive(Debug)]
pub struct DataUrl<'a> {
    pub media_type: String,
    /// `data:` and the header up to (not including) the comma.
    pub header: &'a [u8],
    pub base64: bool,
    pub payload: &'a [u8],
}

/// Reads `text` as a `data:` URL, if it is one.
pub fn data_url(text: &[u8]) -> Option<DataUrl<'_>> {
    if text.len() < 5 || !text[..5].eq_ignore_ascii_case(b"data:") {
        return None;
    }
    let comma = text.iter().position(|&b| b == b',')?;
    let header = &text[..comma];
    let meta = &header[5..];
    let mut parts = meta.split(|&b| b == b';');
    let media_type = parts
        .next()
        .map(|m| String::from_utf8_lossy(m.trim_ascii()).to_ascii_lowercase())
        .unwrap_or_default();
    let base64 = meta
        .split(|&b| b == b';')
        .skip(1)
        .any(|p| p.trim_ascii().eq_ignore_ascii_case(b"base64"));
    Some(DataUrl {
        media_type,
        header,
        base64,
        payload: &text[comma + 1..],
    })
}

/// What a media type says about its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// Text a model reads (text/*, JSON, XML, …): decoded and scanned.
    Text,
    /// A binary format of this kind.
    Binary(Media),
}

/// The label of a media type; `None` when it is empty (a `data:` URL without one is text/plain).
pub fn label_of(media_type: &str) -> Option<Label> {
    let mt = media_type.trim().to_ascii_lowercase();
    let mt = mt.split(';').next().unwrap_or("").trim();
    if mt.is_empty() {
        return None;
    }
    let text = mt.starts_with("text/")
        || mt.starts_with("message/")
        || mt.ends_with("+json")
        || mt.ends_with("+xml")
        || matches!(
            mt,
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/ecmascript"
                | "application/x-www-form-urlencoded"
                | "application/csv"
                | "application/yaml"
                | "application/x-yaml"
                | "application/toml"
                | "application/sql"
                | "application/graphql"
                | "application/x-ndjson"
                | "application/jsonl"
                | "application/x-sh"
                | "application/rtf"
                | "application/x-tex"
                | "application/x-latex"
        );
    if text {
        return Some(Label::Text);
    }
    let kind = match mt.split('/').next() {
        Some("image") => Media::Image,
        Some("audio") => Media::Audio,
        Some("video") => Media::Video,
        _ => Media::Document,
    };
    Some(Label::Binary(kind))
}

/// The binary format `bytes` start with, if it is one the proxy knows: (its kind, whether the
/// container is ambiguous — MP4, WebM and Ogg hold audio or video, and a label then decides).
pub fn sniff(bytes: &[u8]) -> Option<(Media, bool)> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| {
        bytes
            .get(offset..offset + magic.len())
            .is_some_and(|b| b == magic)
    };
    if starts(b"\x89PNG\r\n\x1a\n")
        || starts(b"\xff\xd8\xff")
        || starts(b"GIF87a")
        || starts(b"GIF89a")
        || starts(b"II*\0")
        || starts(b"MM\0*")
        || (starts(b"RIFF") && at(8, b"WEBP"))
        || starts(b"\0\0\x01\0\x01\0")
    {
        return Some((Media::Image, false));
    }
    if at(4, b"ftyp") {
        let brand = bytes.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"heic" | b"heix" | b"hevc" | b"mif1" | b"msf1" | b"avif" | b"avis" => {
                (Media::Image, false)
            }
            b"M4A " | b"M4B " | b"M4P " => (Media::Audio, false),
            _ => (Media::Video, true),
        });
    }
    if (starts(b"RIFF") && at(8, b"WAVE"))
        || starts(b"ID3")
        || starts(b"fLaC")
        || starts(b"#!AMR")
        || (starts(b"FORM") && at(8, b"AIFF"))
    {
        return Some((Media::Audio, false));
    }
    if starts(b"OggS") {
        return Some((Media::Audio, true));
    }
    if starts(b"\x1a\x45\xdf\xa3") {
        return Some((Media::Video, true));
    }
    if starts(b"RIFF") && at(8, b"AVI ") {
        return Some((Media::Video, false));
    }
    if starts(b"%PDF-")
        || starts(b"PK\x03\x04")
        || starts(b"\x1f\x8b\x08")
        || starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
        || starts(b"7z\xbc\xaf\x27\x1c")
        || starts(b"Rar!\x1a\x07")
    {
        return Some((Media::Document, false));
    }
    None
}

/// Whether decoded bytes read as text: UTF-8 with hardly any control characters.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    if std::str::from_utf8(bytes).is_err() {
        return false;
    }
    let controls = bytes
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    controls * 100 <= bytes.len()
}

/// The shortest run of printable text in binary bytes worth reading.
pub const MIN_ISLAND: usize = 8;

/// Binary bytes as the text a reader could pick out of them: every run of at least [`MIN_ISLAND`]
/// bytes of printable characters (UTF-8, no controls) kept, everything else made spaces, byte for
/// byte. `None` when there is no such run. (Text hidden behind a few binary bytes is still text; the
/// noise of random bytes is not.)
pub fn printable_islands(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![b' '; bytes.len()];
    let mut any = false;
    let mut island_start = 0;
    let mut at = 0;
    let mut close = |start: usize, end: usize, out: &mut Vec<u8>| {
        if end - start >= MIN_ISLAND {
            out[start..end].copy_from_slice(&bytes[start..end]);
            any = true;
        }
    };
    for chunk in bytes.utf8_chunks() {
        for (offset, c) in chunk.valid().char_indices() {
            let position = at + offset;
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                close(island_start, position, &mut out);
                island_start = position + c.len_utf8();
            }
        }
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            close(island_start, at, &mut out);
            at += chunk.invalid().len();
            island_start = at;
        }
    }
    close(island_start, at, &mut out);
    any.then_some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn spelling(url_safe: bool, padded: bool) -> Spelling {
        Spelling { url_safe, padded }
    }

    #[test]
    fn base64_round_trips_in_both_alphabets_with_and_without_padding() {
        for text in [&b""[..], b"a", b"ab", b"abc", b"010-7777-3141 \xff\xfe?>"] {
            for (url_safe, padded) in [(false, true), (false, false), (true, true), (true, false)] {
                let encoded = encode_base64(text, spelling(url_safe, padded));
                let (decoded, _) = decode_base64(encoded.as_bytes(), usize::MAX);
                assert_eq!(decoded, text, "{encoded}");
            }
        }
        // Known vectors.
        assert_eq!(encode_base64(b"foobar", spelling(false, true)), "Zm9vYmFy");
        assert_eq!(encode_base64(b"fo", spelling(false, true)), "Zm8=");
        assert_eq!(decode_base64(b"Zm8=", usize::MAX).0, b"fo");
        assert_eq!(decode_base64(b"Zm9v\r\nYmFy", usize::MAX).0, b"foobar");
    }

    #[test]
    fn runs_are_found_inside_text_and_short_words_are_not_runs() {
        let text = b"see MDEwLTc3NzctMzE0MQ== now, and hello there";
        let runs = base64_runs(text);
        assert_eq!(runs.len(), 1);
        assert_eq!(&text[runs[0].0..runs[0].1], b"MDEwLTc3NzctMzE0MQ==");
        assert!(is_base64(b" MDEwLTc3NzctMzE0MQ==\n", MIN_BASE64_RUN));
        assert!(!is_base64(b"hello there", 1));
        assert!(!is_base64(b"YUBiLmNv", MIN_BASE64_RUN));
        assert!(is_base64(b"YUBiLmNv", 1));
    }

    #[test]
    fn percent_reencoding_keeps_what_did_not_change() {
        let original = b"a%20b%2D010%2D7777%2D3141%20c";
        let before = decode_percent(original);
        assert_eq!(before, b"a b-010-7777-3141 c");
        let after = b"a b-010-1234-5678 c";
        let out = reencode_percent(original, &before, after);
        assert_eq!(decode_percent(&out), after);
        assert!(
            out.starts_with(b"a%20b%2D010"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(out.ends_with(b"%20c"));
    }

    #[test]
    fn data_urls_and_labels() {
        let url = data_url(b"data:text/plain;charset=utf-8;base64,QUJD").unwrap();
        assert_eq!(url.media_type, "text/plain");
        assert!(url.base64);
        assert_eq!(url.payload, b"QUJD");
        assert_eq!(label_of(&url.media_type), Some(Label::Text));
        assert_eq!(label_of("image/svg+xml"), Some(Label::Text));
        assert_eq!(label_of("image/png"), Some(Label::Binary(Media::Image)));
        assert_eq!(
            label_of("application/pdf"),
            Some(Label::Binary(Media::Document))
        );
        assert_eq!(label_of(""), None);
        assert!(data_url(b"https://x").is_none());
    }

    #[test]
    fn formats_are_recognised_by_their_signatures() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some((Media::Image, false)));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some((Media::Audio, false)));
        assert_eq!(sniff(b"%PDF-1.7"), Some((Media::Document, false)));
        assert_eq!(sniff(b"010-7777-3141"), None);
        assert!(looks_like_text("주민번호 900101-1234568".as_bytes()));
        assert!(!looks_like_text(b"\x00\x01\x02\x03abc"));
    }

    #[test]
    fn text_behind_binary_bytes_is_kept_and_short_noise_is_not() {
        let mut bytes = b"\xff\x00\x9c".to_vec();
        bytes.extend_from_slice("연락처 010-7777-3141".as_bytes());
        bytes.extend_from_slice(b"\x00ab\x01\xfe");
        let islands = printable_islands(&bytes).unwrap();
        assert_eq!(islands.len(), bytes.len());
        assert_eq!(
            &islands[3..3 + "연락처 010-7777-3141".len()],
            "연락처 010-7777-3141".as_bytes()
        );
        assert!(islands[..3]
            .iter()
            .chain(&islands[bytes.len() - 5..])
            .all(|&b| b == b' '));
        assert!(printable_islands(b"\x00ab::1\xff\x01").is_none());
    }
}
