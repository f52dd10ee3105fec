//! When a question repeats one the officers already answered, so that its answer is given again
//! instead of opening a ticket.
//!
//! "Near-identical", on the normalised questions: the same after dropping whitespace, punctuation and
//! sentence-final particles; or, for questions of at least [`MIN_CHARS`] characters, a character-bigram
//! Dice similarity of at least [`MIN_DICE`] while the facts that change an answer are the same: every
//! number (第1号 is not 第2号) and every negation (能 is not 不能).

use crate::store::Ticket;
use std::sync::{Arc, Mutex};

/// Shorter questions must match exactly (after dropping punctuation and particles).
const MIN_CHARS: usize = 6;
/// Bigram Dice similarity from which two questions are the same.
const MIN_DICE: f64 = 0.8;
const PARTICLES: &[char] = &['吗', '呢', '啊', '呀', '吧', '么', '嘛', '哈', '啦'];
const NEGATIONS: &[char] = &['不', '没', '无', '未', '非', '别', '否'];

/// The answered tickets' questions, read once from the store and forgotten whenever a ticket changes
/// (only the ticket service changes tickets, so it knows when). A generation counter keeps a list read
/// before a change from being kept after it.
#[derive(Default)]
pub struct Answered {
    state: Mutex<(u64, Option<Arc<Questions>>)>,
}

/// Answered tickets as (id, normalised question, last change).
pub struct Questions(Vec<(u64, String, i64)>);

impl Answered {
    pub fn current(&self) -> Option<Arc<Questions>> {
        self.lock().1.clone()
    }

    /// The generation to pass to [`Answered::fill`] when reading the store.
    pub fn generation(&self) -> u64 {
        self.lock().0
    }

    /// Keeps the list read from `tickets` unless a ticket changed since `generation`.
    pub fn fill(&self, generation: u64, tickets: &[Ticket]) -> Arc<Questions> {
        let answered = tickets.iter().filter(|t| t.answer.is_some());
        let list = answered.map(|t| (t.id, t.normalized.clone(), t.updated_ms));
        let questions = Arc::new(Questions(list.collect()));
        let mut state = self.lock();
        if state.0 == generation {
            state.1 = Some(questions.clone());
        }
        questions
    }

    /// A ticket changed: the next question reads the store again.
    pub fn forget(&self) {
        let mut state = self.lock();
        state.0 += 1;
        state.1 = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Option<Arc<Questions>>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Questions {
    /// The most recently answered ticket whose question `normalized` repeats.
    pub fn latest_repeat(&self, normalized: &str) -> Option<u64> {
        let repeats = self
            .0
            .iter()
            .filter(|(_, q, _)| same_question(q, normalized));
        repeats.max_by_key(|(_, _, at)| *at).map(|(id, _, _)| *id)
    }
}

/// True when `a` and `b` (normalised questions) ask the same thing.
pub fn same_question(a: &str, b: &str) -> bool {
    let (a, b) = (key(a), key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    a.len() >= MIN_CHARS
        && b.len() >= MIN_CHARS
        && numbers(&a) == numbers(&b)
        && negations(&a) == negations(&b)
        && dice(&a, &b) >= MIN_DICE
}

/// The question's characters without whitespace, punctuation and final particles.
fn key(q: &str) -> Vec<char> {
    let mut k: Vec<char> = q.chars().filter(|c| c.is_alphanumeric()).collect();
    while k.last().is_some_and(|c| PARTICLES.contains(c)) {
        k.pop();
    }
    k
}

fn numbers(k: &[char]) -> Vec<String> {
    let s: String = k.iter().collect();
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

fn negations(k: &[char]) -> Vec<char> {
    k.iter()
        .copied()
        .filter(|c| NEGATIONS.contains(c))
        .collect()
}

fn dice(a: &[char], b: &[char]) -> f64 {
    let grams = |k: &[char]| -> Vec<(char, char)> { k.windows(2).map(|w| (w[0], w[1])).collect() };
    let (ga, mut gb) = (grams(a), grams(b));
    let total = ga.len() + gb.len();
    let mut common = 0;
    for g in &ga {
        if let Some(i) = gb.iter().position(|h| h == g) {
            gb.swap_remove(i);
            common += 1;
        }
    }
    (2 * common) as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_read_before_a_change_is_not_kept_after_it() {
        let answered = Answered::default();
        let before = answered.generation();
        answered.forget();
        answered.fill(before, &[]);
        assert!(
            answered.current().is_none(),
            "stale: read before the change"
        );
        answered.fill(answered.generation(), &[]);
        assert!(answered.current().is_some());
    }

    #[test]
    fn the_same_question_with_other_punctuation_or_particles_repeats() {
        assert!(same_question("房租能减免吗", "房租能减免？"));
        assert!(same_question("房租能减免吗", "房租 能减免 呢"));
        assert!(same_question(
            "疫情期间企业的房租能减免吗",
            "疫情期间我们企业的房租能减免吗"
        ));
    }

    #[test]
    fn other_numbers_negations_or_questions_do_not_repeat() {
        assert!(!same_question(
            "食堂第1号窗口的饭卡能退吗",
            "食堂第2号窗口的饭卡能退吗"
        ));
        assert!(!same_question(
            "疫情期间企业的房租能减免吗",
            "疫情期间企业的房租不能减免吗"
        ));
        assert!(!same_question("房租能减免吗", "水费能减免吗"));
        assert!(!same_question("", ""));
    }
}
