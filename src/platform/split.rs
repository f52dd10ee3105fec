//! Splitting a long message into parts that each fit a platform's byte limit (WeCom: 2048 bytes of
//! text), cut where a reader would: at a line end, else a sentence end, else a comma, else between two
//! characters (never inside a UTF-8 character). The parts, concatenated, are the text.

/// Splits `text` into parts of at most `limit` bytes, preferring line and sentence ends, never inside a
/// UTF-8 character.
pub(crate) fn split_for_limit(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.len() > limit {
        let cut = best_cut(rest, limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// The largest byte offset ≤ limit that ends a line, else a sentence, else a character.
fn best_cut(s: &str, limit: usize) -> usize {
    let window = &s[..floor_char_boundary(s, limit)];
    let after = |pat: &[char]| {
        window
            .rfind(pat)
            .map(|i| i + window[i..].chars().next().map_or(1, char::len_utf8))
    };
    after(&['\n'])
        .or_else(|| after(&['。', '！', '？', '；', '!', '?', ';']))
        .or_else(|| after(&['，', ',']))
        .filter(|&i| i > 0)
        .unwrap_or(window.len().max(1))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_for_limit("一句话。", 2048), vec!["一句话。"]);
    }

    #[test]
    fn long_text_splits_at_sentence_ends_within_the_limit() {
        let sentence = "对疫情防控急需的建设项目，可豁免环评手续。";
        let text = sentence.repeat(200);
        let parts = split_for_limit(&text, 2048);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.len() <= 2048, "{}", p.len());
            assert!(p.ends_with('。'), "{p}");
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn text_without_punctuation_splits_on_char_boundaries() {
        let text = "环".repeat(1000);
        let parts = split_for_limit(&text, 100);
        assert!(parts.iter().all(|p| p.len() <= 100 && !p.is_empty()));
        assert_eq!(parts.concat(), text);
    }
}
