//! Accuracy floors of the real binary on the labelled questions in `tests/questions/*.jsonl`.
//!
//! Black box: runs `policybot ask --json --faq <repo>/faq` with every question on stdin and compares each
//! JSON line with its label. A question is right when it is answered with the expected `faq_id` (or an
//! entry giving the same answer: one quoting the very same measure, or the city report / provincial
//! measure of the same rule, see `faq/reports.toml`), or when its outcome is `escalated` / `smalltalk` as
//! expected. A wrong answer is any `answered` outcome with another entry, or an answer where none was
//! expected.
//!
//! The questions are split once, by the parity of the MD5 of the question text, into a tuning half (even)
//! and a held-out half (odd). Matching work may look at the tuning half's misses; the held-out half is
//! only ever measured, and nothing from it goes into the base. Both halves have floors, set a little below
//! the measured values so a real regression fails the test.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Floors of one half.
struct Floors {
    score: f64,
    answer_recall: f64,
    max_wrong: f64,
    escalate_recall: f64,
    smalltalk_recall: f64,
}

/// Tuning half (measured 2026-12-03, second session: score 672/730 = 0.921, answer recall 484/534 = 0.906,
/// wrong 11/730 = 0.015, escalate recall 0.948, small talk recall 1.000; chat style 0.949, dev style 0.895).
const TUNING: Floors = Floors {
    score: 0.90,
    answer_recall: 0.89,
    max_wrong: 0.025,
    escalate_recall: 0.91,
    smalltalk_recall: 0.97,
};

/// Held-out half (measured 2026-12-03, second session: score 654/728 = 0.898, answer recall 484/543 = 0.891,
/// wrong 15/728 = 0.021, escalate recall 0.909, small talk recall 0.952; chat style 0.950, dev style 0.849).
const HELD_OUT: Floors = Floors {
    score: 0.88,
    answer_recall: 0.87,
    max_wrong: 0.03,
    escalate_recall: 0.87,
    smalltalk_recall: 0.93,
};

struct Labelled {
    file: String,
    /// `chat` (typed the way people type in a work chat) or `dev` (in the style of `dev.jsonl`: whole,
    /// well-formed questions), for the figures by style.
    style: String,
    q: String,
    expect: String,
    faq_id: Option<String>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(dir: &Path) -> Vec<Labelled> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/questions exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).expect("readable jsonl");
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", f.display(), n + 1));
            let q = v["q"].as_str().expect("q").to_owned();
            assert!(
                !q.contains('\n'),
                "{}:{}: one line per question",
                f.display(),
                n + 1
            );
            out.push(Labelled {
                file: name.clone(),
                style: v["style"].as_str().unwrap_or("dev").to_owned(),
                q,
                expect: v["expect"].as_str().expect("expect").to_owned(),
                faq_id: v["faq_id"].as_str().map(str::to_owned),
            });
        }
    }
    out
}

fn ask_all(questions: &[Labelled]) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_policybot"))
        .arg("ask")
        .arg("--json")
        .arg("--faq")
        .arg(repo().join("faq"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("policybot runs");
    let input: String = questions.iter().map(|l| format!("{}\n", l.q)).collect();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("policybot finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("stdin written");
    assert!(
        out.status.success(),
        "policybot ask failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(results.len(), questions.len(), "one result per question");
    results
}

#[derive(Default)]
struct Tally {
    total: usize,
    right: usize,
    wrong: usize,
    answers: usize,
    answers_right: usize,
    escalates: usize,
    escalates_right: usize,
    smalltalk: usize,
    smalltalk_right: usize,
    per_file: std::collections::BTreeMap<String, (usize, usize, usize)>,
    per_style: std::collections::BTreeMap<String, (usize, usize, usize)>,
    misses: Vec<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// True for the held-out half: the MD5 of the question text is odd.
fn held_out(q: &str) -> bool {
    use md5::{Digest, Md5};
    Md5::digest(q.as_bytes())[15] & 1 == 1
}

/// Entries that give the answer expected of `id`: itself, those whose quote contains its quote (the very
/// same measure, or the passage it is one sentence of), and the city report / provincial measure of the
/// same rule.
struct Equivalence {
    base: policybot::faq::FaqBase,
}

impl Equivalence {
    fn load() -> Self {
        Equivalence {
            base: policybot::faq::load_dir(&repo().join("faq")).expect("faq/ loads"),
        }
    }

    fn same(&self, expected: &str, got: &str) -> bool {
        let quote = |id: &str| {
            self.base
                .entry(id)
                .map(|e| policybot::text::squeeze(&e.answer))
        };
        let quotes_it = match (quote(expected), quote(got)) {
            (Some(e), Some(g)) => g.contains(&e),
            _ => false,
        };
        expected == got
            || quotes_it
            || self.base.reports.iter().any(|r| {
                (r.entry == expected && r.measure == got)
                    || (r.entry == got && r.measure == expected)
            })
    }
}

impl Tally {
    fn add(&mut self, l: &Labelled, r: &Value, eq: &Equivalence) {
        let outcome = r["outcome"].as_str().expect("outcome");
        let got = r["faq_id"].as_str().filter(|_| outcome == "answered");
        let (right, wrong) = match l.expect.as_str() {
            "answer" => {
                self.answers += 1;
                let expected = l.faq_id.as_deref().expect("faq_id for an answer");
                let right = got.is_some_and(|g| eq.same(expected, g));
                self.answers_right += usize::from(right);
                (right, outcome == "answered" && !right)
            }
            "escalate" => {
                self.escalates += 1;
                let right = outcome == "escalated";
                self.escalates_right += usize::from(right);
                (right, outcome == "answered")
            }
            "smalltalk" => {
                self.smalltalk += 1;
                let right = outcome == "smalltalk";
                self.smalltalk_right += usize::from(right);
                (right, outcome == "answered")
            }
            other => panic!("{}: unknown expect `{other}` for `{}`", l.file, l.q),
        };
        self.total += 1;
        self.right += usize::from(right);
        self.wrong += usize::from(wrong);
        for f in [
            self.per_file.entry(l.file.clone()).or_default(),
            self.per_style.entry(l.style.clone()).or_default(),
        ] {
            f.0 += 1;
            f.1 += usize::from(right);
            f.2 += usize::from(wrong);
        }
        if wrong {
            self.misses.push(format!(
                "  wrong: [{}] {} → {} (expected {})",
                l.file,
                l.q,
                got.unwrap_or("-"),
                l.faq_id.as_deref().unwrap_or(&l.expect)
            ));
        }
    }

    /// The figures, and the failed floors.
    fn check(&self, name: &str, f: &Floors) -> (String, Vec<&'static str>) {
        let score = ratio(self.right, self.total);
        let recall = ratio(self.answers_right, self.answers);
        let wrong = ratio(self.wrong, self.total);
        let esc = ratio(self.escalates_right, self.escalates);
        let small = ratio(self.smalltalk_right, self.smalltalk);
        let mut report = format!(
            "{name}: score {}/{} = {score:.3} (floor {}), answer recall {}/{} = {recall:.3} (floor {}), \
             wrong {}/{} = {wrong:.3} (ceiling {}), escalate recall {esc:.3} (floor {}), \
             small talk recall {small:.3} (floor {})\n",
            self.right,
            self.total,
            f.score,
            self.answers_right,
            self.answers,
            f.answer_recall,
            self.wrong,
            self.total,
            f.max_wrong,
            f.escalate_recall,
            f.smalltalk_recall
        );
        for (style, (n, right, wrong)) in &self.per_style {
            report.push_str(&format!(
                "  {style} style: score {right}/{n} = {:.3}, wrong {wrong}/{n} = {:.3}\n",
                ratio(*right, *n),
                ratio(*wrong, *n)
            ));
        }
        for (file, (n, right, wrong)) in &self.per_file {
            report.push_str(&format!("  {file}: {right}/{n} right, {wrong} wrong\n"));
        }
        let failed = [
            (score < f.score, "score"),
            (recall < f.answer_recall, "answer recall"),
            (wrong > f.max_wrong, "wrong answers"),
            (esc < f.escalate_recall, "escalate recall"),
            (small < f.smalltalk_recall, "small talk recall"),
        ]
        .into_iter()
        .filter(|(bad, _)| *bad)
        .map(|(_, what)| what)
        .collect();
        (report, failed)
    }
}

#[test]
fn labelled_questions_meet_the_accuracy_floors_on_both_halves() {
    let questions = load(&repo().join("tests/questions"));
    assert!(
        questions.len() >= 1000,
        "fewer than 1,000 labelled questions"
    );
    let results = ask_all(&questions);
    let eq = Equivalence::load();
    let (mut tuning, mut held) = (Tally::default(), Tally::default());
    for (l, r) in questions.iter().zip(&results) {
        let half = if held_out(&l.q) {
            &mut held
        } else {
            &mut tuning
        };
        half.add(l, r, &eq);
    }
    let (tuning_report, tuning_failed) = tuning.check("tuning half", &TUNING);
    // Only the tuning half's wrong answers are listed: the held-out half is measured, not studied.
    let (held_report, held_failed) = held.check("held-out half", &HELD_OUT);
    eprintln!("{tuning_report}{}\n{held_report}", tuning.misses.join("\n"));
    assert!(
        tuning_failed.is_empty() && held_failed.is_empty(),
        "below the floors: tuning {tuning_failed:?}, held-out {held_failed:?}"
    );
}
