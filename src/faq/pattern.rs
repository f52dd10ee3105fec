//! A `re:` keyword's compiled form: a forward-only matcher that answers "does the question contain a
//! match?", and nothing more, which is all the matcher asks of a keyword.
//!
//! `regex::Regex` also compiles a reverse NFA (to report where a match starts) and keeps caches for
//! several engines. The keywords are literal alternations with Unicode `.{0,N}` gaps, and their reverse
//! NFAs were twice the size of the forward ones: over the shipped base, 2.8 MB of reverse program and
//! 1.3 MB forward, with the meta engine at 5.9 MB in all. This keeps the forward NFA (no capture states)
//! and runs it with a bounded backtracker behind a literal prefilter: questions are short, so its
//! visited set stays a few KB, and unlike a lazy DFA it builds no states (the Unicode gaps made a lazy
//! DFA determinise new states on most questions: a tenth of `ask`'s time). A text too long for the
//! backtracker's bound goes to the PikeVM, over the same NFA. One cache pair per thread, shared by clones.

use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::nfa::thompson::pikevm::{self, PikeVM};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};
use std::fmt;
use std::sync::Arc;

type Caches = (backtrack::Cache, pikevm::Cache);
type CachePool = Pool<Caches, Box<dyn Fn() -> Caches + Send + Sync>>;

/// A compiled keyword pattern. Clones share the program and the caches.
#[derive(Clone)]
pub struct Pattern(Arc<Compiled>);

struct Compiled {
    source: String,
    backtracker: BoundedBacktracker,
    pikevm: PikeVM,
    caches: CachePool,
}

impl Pattern {
    /// Compiles a pattern in the `regex` crate's syntax (Unicode on).
    pub fn new(source: &str) -> Result<Pattern, String> {
        let hir = syntax::parse(source).map_err(|e| e.to_string())?;
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().which_captures(WhichCaptures::None))
            .build_from_hir(&hir)
            .map_err(|e| e.to_string())?;
        let pre = Prefilter::from_hir_prefix(MatchKind::LeftmostFirst, &hir);
        let backtracker = BoundedBacktracker::builder()
            .configure(BoundedBacktracker::config().prefilter(pre.clone()))
            .build_from_nfa(nfa.clone())
            .map_err(|e| e.to_string())?;
        let pikevm = PikeVM::builder()
            .configure(PikeVM::config().prefilter(pre))
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        let (b, p) = (backtracker.clone(), pikevm.clone());
        let caches: CachePool = Pool::new(Box::new(move || (b.create_cache(), p.create_cache())));
        Ok(Pattern(Arc::new(Compiled {
            source: source.to_owned(),
            backtracker,
            pikevm,
            caches,
        })))
    }

    /// Whether the text contains a match anywhere; stops at the first one.
    pub fn is_match(&self, text: &str) -> bool {
        let c = &*self.0;
        let mut caches = c.caches.get();
        let (bt, vm) = &mut *caches;
        let input = Input::new(text).earliest(true);
        if text.len() <= c.backtracker.max_haystack_len() {
            // Within the bound the backtracker cannot fail (its only error is a too-long text).
            if let Ok(found) = c.backtracker.try_is_match(bt, input.clone()) {
                return found;
            }
        }
        c.pikevm.is_match(vm, input)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0.source
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.as_str()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_match_anywhere_in_unicode_text() {
        let p = Pattern::new("转产.{0,4}口罩|口罩.{0,6}转产").unwrap();
        assert!(p.is_match("我们厂临时转产做口罩，要办环评吗"));
        assert!(p.is_match("口罩是我们临时转产的"));
        assert!(!p.is_match("转产了很多很多别的东西不是口罩"));
        assert!(!p.is_match(""));
    }

    #[test]
    fn agrees_with_the_regex_crate() {
        let cases = [
            (
                "(环评|环境影响评价).{0,8}(告知承诺|承诺制)",
                "环评能不能搞告知承诺",
            ),
            ("^复工", "我们复工了"),
            ("复工$", "我们复工"),
            ("[0-9]{2,}天", "要等15天吗"),
            ("不.{0,2}罚", "会不会被罚"),
        ];
        for (re, text) in cases {
            let want = regex::Regex::new(re).unwrap().is_match(text);
            assert_eq!(
                Pattern::new(re).unwrap().is_match(text),
                want,
                "{re} on {text}"
            );
        }
    }

    #[test]
    fn a_clone_shares_the_program_and_works_from_other_threads() {
        let p = Pattern::new("危废.{0,3}(转移|运输)").unwrap();
        let q = p.clone();
        let t = std::thread::spawn(move || q.is_match("危废要转移出省"));
        assert!(t.join().unwrap());
        assert!(p.is_match("危废运输"));
        assert_eq!(p.as_str(), "危废.{0,3}(转移|运输)");
    }

    #[test]
    fn a_text_longer_than_the_backtracker_bound_is_still_searched() {
        let p = Pattern::new("转产.{0,4}口罩").unwrap();
        let long = format!("{}我们转产做口罩", "很长的前文。".repeat(20_000));
        assert!(long.len() > p.0.backtracker.max_haystack_len());
        assert!(p.is_match(&long));
        assert!(!p.is_match(&long.replace("口罩", "手套")));
    }

    #[test]
    fn a_bad_pattern_is_refused_with_the_reason() {
        assert!(
            Pattern::new("(口罩")
                .unwrap_err()
                .contains("unclosed group")
        );
    }

    /// Every shipped `re:` keyword gives the `regex` crate's answer on every labelled question.
    #[test]
    fn every_shipped_keyword_agrees_with_the_regex_crate_on_the_labelled_questions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let base = crate::faq::load_dir(&root.join("faq")).unwrap();
        let mut questions = vec![];
        for f in std::fs::read_dir(root.join("tests/questions")).unwrap() {
            for line in std::fs::read_to_string(f.unwrap().path()).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                questions.push(v["q"].as_str().unwrap().to_owned());
            }
        }
        let (mut runs, mut hits) = (0, 0);
        for p in base.entries.iter().flat_map(|e| &e.keywords) {
            let crate::faq::Keyword::Regex(p) = p else {
                continue;
            };
            let re = regex::Regex::new(p.as_str()).unwrap();
            for q in &questions {
                let want = re.is_match(q);
                assert_eq!(p.is_match(q), want, "{} on {q}", p.as_str());
                runs += 1;
                hits += usize::from(want);
            }
        }
        assert!(runs > 100_000 && hits > 500, "{runs} runs, {hits} matches");
    }
}
