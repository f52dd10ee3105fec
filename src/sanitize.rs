//! The one sanitiser for text that reaches a group chat as markdown or text and that the bot did not
//! write itself.
//!
//! - [`user_text`]: anything an asker controls — group titles, nicks, questions (in officer notifications,
//!   `待办`, reminders, confirmations, and the question quoted back with an officer's answer). One line,
//!   bounded, no links of any form, no @, no markdown or HTML syntax, nothing invisible.
//! - [`staff_text`]: an officer's answer. Officers are staff and may point to an official site, so plain
//!   `http(s)` URLs stay (shown as they are, never behind link text); everything else is neutralised as for
//!   users — no @, no markdown (headings, link syntax, emphasis, HTML), nothing invisible — but line breaks
//!   are kept (at most one blank line in a row) so an answer keeps its paragraphs.
//!
//! Links are found on a folded copy of the text (full-width forms to ASCII, `。` to `.`, lower case) after
//! invisible characters are removed, so `ｈｔｔｐｓ：／／`, `ht\u{200b}tps://`, `hxxps://`, `javascript:`, bare
//! domains (`evil.example.com/x`) and IP addresses are all caught.

use regex::Regex;
use std::sync::LazyLock;

/// What a removed link is replaced with.
pub const LINK_REMOVED: &str = "［链接已移除］";
/// Longest relayed question, in characters.
pub const QUESTION_CHARS: usize = 500;
/// Longest relayed group title or nick, in characters.
pub const NAME_CHARS: usize = 60;

/// On folded text: any URL scheme followed by `//`, a scheme that runs code or opens an app (not inside
/// a word: `hotel:` is no `tel:`), a domain name (two or more labels, a TLD of two or more characters
/// starting with a letter) or an IPv4 address, with the ASCII path that follows (a Chinese character or a
/// space ends it). No word boundaries around domains: `_evil.com` and `evil.com_x` are links too.
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        [a-z][a-z0-9+.\-]{0,30}:[\\/]{2}[!-~]*
      | (?:^|[^a-z0-9])(?:javascript|vbscript|data|file|mailto|tel|sms|dingtalk|weixin|wxwork):[!-~]*
      | (?:[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?\.)+[a-z](?:[a-z0-9\-]{0,62}[a-z0-9])(?::\d+)?(?:[/?\#][!-~]*)?
      | \d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?:[/?\#][!-~]*)?",
    )
    .expect("static regex")
});

/// Only these links survive in officer text.
static WEB_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^https?://[^\s]+$").expect("static regex"));

/// User-controlled text as one safe line of at most `max_chars` characters.
pub fn user_text(text: &str, max_chars: usize) -> String {
    let visible = visible(text);
    let mut out = String::new();
    for (piece, is_link) in split_links(&visible) {
        if is_link {
            out.push_str(LINK_REMOVED);
        } else {
            out.extend(
                piece
                    .chars()
                    .map(|c| if c == '\n' { ' ' } else { neutral(c) }),
            );
        }
    }
    truncate(&collapse_spaces(&out), max_chars)
}

/// An officer's answer: paragraphs and plain web URLs kept, everything else neutralised.
pub fn staff_text(text: &str) -> String {
    let visible = visible(text);
    let mut out = String::new();
    for (piece, is_link) in split_links(&visible) {
        if is_link && WEB_URL.is_match(piece) && !piece.contains(['<', '>', '[', ']', '(', ')']) {
            out.push_str(piece);
        } else if is_link {
            out.push_str(LINK_REMOVED);
        } else {
            out.extend(
                piece
                    .chars()
                    .map(|c| if c == '\n' { c } else { neutral(c) }),
            );
        }
    }
    paragraphs(&out)
}

/// The text without control, format, invisible and direction characters; every kind of line break as
/// `\n`, tabs as spaces.
fn visible(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\t' => Some(' '),
            c if is_invisible(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Controls, zero-width characters, direction marks and overrides, and other default-ignorable code
/// points that could hide or reorder text.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
            | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
            | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}' | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}')
}

/// A character as the link pattern sees it: full-width ASCII as ASCII, ideographic full stops as `.`,
/// lower case. Always exactly one character, so positions map back one to one.
fn fold(c: char) -> char {
    let c = match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3002}' | '\u{ff61}' => '.',
        c => c,
    };
    c.to_ascii_lowercase()
}

/// `text` cut into pieces, each flagged whether it is a link (as found on the folded text).
fn split_links(text: &str) -> Vec<(&str, bool)> {
    let mut folded = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        offsets.push((folded.len(), i));
        folded.push(fold(c));
    }
    offsets.push((folded.len(), text.len()));
    let original = |at: usize| offsets[offsets.partition_point(|&(f, _)| f < at)].1;
    let mut pieces = Vec::new();
    let mut last = 0;
    for m in LINK.find_iter(&folded) {
        // A scheme is matched with the character before it (no lookbehind); that one is not the link.
        let lead = m
            .as_str()
            .chars()
            .next()
            .filter(|c| !c.is_ascii_alphanumeric());
        let start = m.start() + lead.map_or(0, char::len_utf8);
        let (start, end) = (original(start), original(m.end()));
        pieces.push((&text[last..start], false));
        pieces.push((&text[start..end], true));
        last = end;
    }
    pieces.push((&text[last..], false));
    pieces
}

/// Markdown, HTML and mention syntax replaced by look-alike full-width forms.
fn neutral(c: char) -> char {
    match c {
        '@' => '＠',
        '#' => '＃',
        '*' => '＊',
        '_' => '＿',
        '`' => '＇',
        '[' => '［',
        ']' => '］',
        '<' => '＜',
        '>' => '＞',
        '|' => '｜',
        '~' => '～',
        '!' => '！',
        '&' => '＆',
        '\\' => '＼',
        c => c,
    }
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines trimmed, runs of spaces collapsed, at most one blank line in a row, none at the ends.
fn paragraphs(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.split('\n').map(collapse_spaces).map(no_rule) {
        let blank_run = line.is_empty() && out.last().is_none_or(String::is_empty);
        if !blank_run {
            out.push(line);
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

/// A line of only `-` or `=` would make the line above a heading or draw a rule: full-width it.
fn no_rule(line: String) -> String {
    if line.is_empty() || !line.chars().all(|c| matches!(c, '-' | '=' | ' ')) {
        return line;
    }
    line.replace('-', "－").replace('=', "＝")
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
