//! Accuracy floors of the real binary on the labelled questions in `tests/questions/*.jsonl`.
//!
//! Black box: runs `policybot ask --json --faq <repo>/faq` with every question on stdin and compares each
//! JSON line with its label. A question is right when it is answered with the expected `faq_id`
//! (`"expect": "answer"`), or when its outcome is `escalated` / `smalltalk` as expected. A wrong answer is
//! any `answered` outcome with another entry, or an answer where none was expected. The floors sit a
//! little below the measured values so a real regression fails the test.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Overall share of right outcomes (measured 406 / 518 = 0.784).
const MIN_SCORE: f64 = 0.76;
/// Share of `expect: answer` questions answered with the right entry (measured 314 / 416 = 0.755).
const MIN_ANSWER_RECALL: f64 = 0.73;
/// Share of all questions answered wrongly (measured 17 / 518 = 0.033).
const MAX_WRONG_RATE: f64 = 0.04;
/// Share of `expect: escalate` questions escalated (measured 62 / 72 = 0.861).
const MIN_ESCALATE_RECALL: f64 = 0.83;
/// Small talk must always be recognised (measured 30 / 30).
const MIN_SMALLTALK_RECALL: f64 = 1.0;

struct Labelled {
    file: String,
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
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

#[test]
fn labelled_questions_meet_the_accuracy_floors() {
    let questions = load(&repo().join("tests/questions"));
    assert!(!questions.is_empty(), "no labelled questions");
    let results = ask_all(&questions);
    let mut t = Tally::default();
    let mut per_file: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    let mut misses = Vec::new();
    for (l, r) in questions.iter().zip(&results) {
        let outcome = r["outcome"].as_str().expect("outcome");
        let got = r["faq_id"].as_str();
        let (right, wrong) = match l.expect.as_str() {
            "answer" => {
                t.answers += 1;
                let right = outcome == "answered" && got == l.faq_id.as_deref();
                t.answers_right += usize::from(right);
                (right, outcome == "answered" && !right)
            }
            "escalate" => {
                t.escalates += 1;
                let right = outcome == "escalated";
                t.escalates_right += usize::from(right);
                (right, outcome == "answered")
            }
            "smalltalk" => {
                t.smalltalk += 1;
                let right = outcome == "smalltalk";
                t.smalltalk_right += usize::from(right);
                (right, outcome == "answered")
            }
            other => panic!("{}: unknown expect `{other}` for `{}`", l.file, l.q),
        };
        t.total += 1;
        t.right += usize::from(right);
        t.wrong += usize::from(wrong);
        let f = per_file.entry(&l.file).or_default();
        f.0 += 1;
        f.1 += usize::from(right);
        f.2 += usize::from(wrong);
        if wrong {
            misses.push(format!(
                "  wrong: [{}] {} → {} (expected {})",
                l.file,
                l.q,
                got.unwrap_or("-"),
                l.faq_id.as_deref().unwrap_or(&l.expect)
            ));
        }
    }
    let score = ratio(t.right, t.total);
    let recall = ratio(t.answers_right, t.answers);
    let wrong_rate = ratio(t.wrong, t.total);
    let esc = ratio(t.escalates_right, t.escalates);
    let small = ratio(t.smalltalk_right, t.smalltalk);
    let mut report = format!(
        "score {}/{} = {score:.3} (floor {MIN_SCORE}), answer recall {}/{} = {recall:.3} (floor {MIN_ANSWER_RECALL}), \
         wrong {}/{} = {wrong_rate:.3} (ceiling {MAX_WRONG_RATE}), escalate recall {esc:.3} (floor {MIN_ESCALATE_RECALL}), \
         small talk recall {small:.3} (floor {MIN_SMALLTALK_RECALL})\n",
        t.right, t.total, t.answers_right, t.answers, t.wrong, t.total
    );
    for (file, (n, right, wrong)) in &per_file {
        report.push_str(&format!("  {file}: {right}/{n} right, {wrong} wrong\n"));
    }
    report.push_str(&misses.join("\n"));
    eprintln!("{report}");
    assert!(score >= MIN_SCORE, "overall score below floor\n{report}");
    assert!(
        recall >= MIN_ANSWER_RECALL,
        "answer recall below floor\n{report}"
    );
    assert!(
        wrong_rate <= MAX_WRONG_RATE,
        "too many wrong answers\n{report}"
    );
    assert!(
        esc >= MIN_ESCALATE_RECALL,
        "escalate recall below floor\n{report}"
    );
    assert!(
        small >= MIN_SMALLTALK_RECALL,
        "small talk recall below floor\n{report}"
    );
}
