//! Per-question latency of `Matcher::decide`, start-up time and peak memory, in one process:
//!
//!     cargo run --release --example match_latency [-- --calls 20000 --faq faq --questions tests/questions]
//!
//! Loads `faq/` and builds the matcher (timed: the start-up `ask` and `serve` pay), reads the question mix
//! from `tests/questions/*.jsonl` (`q` fields), warms up with one pass, then times each of `--calls`
//! `decide` calls with `Instant` (cycling the questions) and prints p50/p90/p99/max in µs, the outcome mix,
//! the start-up time in ms and the peak RSS (`VmHWM` of /proc/self/status). Single-threaded (one core)
//! unless `--threads N`: N threads sharing the one matcher, as the server's workers do.
//!
//! Targets: p50 ≤ 20 µs, p99 ≤ 100 µs, start-up ≤ 300 ms, peak RSS ≤ 64 MB.
//!
//! `--breakdown` adds (after the figures above, so it does not change them) the median and mean time of the
//! public stages of `decide` on the same mix (normalize, intent regexes, filler stripping, synonym rewrite,
//! jieba segmentation; the rest is candidate selection, keyword regexes and scoring), of `ask --json`, of
//! `decide_in` a group configured as 郑州's (`[[groups]]`), and the time and memory of the segmenter alone
//! (its embedded dictionary) and `Analyzer::build`.

use policybot::faq;
use policybot::matcher::{Matcher, Thresholds};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Args {
    calls: usize,
    threads: usize,
    breakdown: bool,
    faq: PathBuf,
    questions: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        calls: 20_000,
        threads: 1,
        breakdown: false,
        faq: "faq".into(),
        questions: "tests/questions".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--breakdown" {
            a.breakdown = true;
            continue;
        }
        let mut val = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--calls" => a.calls = val().parse().expect("--calls N"),
            "--threads" => a.threads = val().parse::<usize>().expect("--threads N").max(1),
            "--faq" => a.faq = val().into(),
            "--questions" => a.questions = val().into(),
            other => panic!(
                "unknown argument {other} (--calls N, --threads N, --faq DIR, --questions DIR, --breakdown)"
            ),
        }
    }
    a
}

/// The `q` field of every line of `DIR/*.jsonl`, files in name order.
fn questions(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                && let Some(q) = v["q"].as_str()
            {
                out.push(q.to_owned());
            }
        }
    }
    assert!(!out.is_empty(), "no questions in {}", dir.display());
    out
}

/// A `kB` line of /proc/self/status, in MB.
fn status_mb(key: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let a = args();

    let t0 = Instant::now();
    let base = faq::load_dir(&a.faq).expect("loading the FAQ base");
    let t_load = t0.elapsed();
    let matcher = Matcher::build(&base, Thresholds::default());
    let t_startup = t0.elapsed();
    let rss_after_startup = status_mb("VmRSS:");

    let qs = questions(&a.questions);

    // Warm-up: one pass over the mix (caches, lazy statics, allocator).
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for q in &qs {
        *outcomes
            .entry(matcher.decide(q).outcome.as_str())
            .or_default() += 1;
    }

    // With --threads N, N threads share the one matcher (as the server's workers do), each doing
    // calls / N decides from its own offset in the mix.
    let per_thread = a.calls / a.threads;
    let run = |t: usize| {
        let mut lat = Vec::with_capacity(per_thread);
        for i in 0..per_thread {
            let q = &qs[(i + t * 97) % qs.len()];
            let t = Instant::now();
            let d = matcher.decide(black_box(q));
            lat.push(t.elapsed());
            black_box(d);
        }
        lat
    };
    let wall = Instant::now();
    // One thread: this one, which did the warm-up (a regex's cache pool favours the thread that used it
    // first; other threads take a slower path and get caches of their own).
    let mut lat: Vec<Duration> = if a.threads == 1 {
        run(0)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..a.threads).map(|t| s.spawn(move || run(t))).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("worker"))
                .collect()
        })
    };
    let wall = wall.elapsed();
    lat.sort_unstable();
    let mean = lat.iter().sum::<Duration>().as_secs_f64() * 1e6 / lat.len() as f64;

    println!(
        "faq: {} entries, {} sources; questions: {} (outcomes on one pass: {})",
        base.entries.len(),
        base.sources.len(),
        qs.len(),
        outcomes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "decide x{}{}: p50 {:.1} µs  p90 {:.1} µs  p99 {:.1} µs  max {:.1} µs  mean {:.1} µs  ({:.0} questions/s)",
        lat.len(),
        if a.threads > 1 {
            format!(" on {} threads sharing the matcher", a.threads)
        } else {
            String::new()
        },
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        lat.last().unwrap().as_secs_f64() * 1e6,
        mean,
        lat.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "start-up: {:.1} ms (load_dir {:.1} ms + Matcher::build {:.1} ms)",
        t_startup.as_secs_f64() * 1e3,
        t_load.as_secs_f64() * 1e3,
        (t_startup - t_load).as_secs_f64() * 1e3
    );
    println!(
        "memory: peak RSS (VmHWM) {:.1} MB; RSS after start-up {:.1} MB",
        status_mb("VmHWM:").unwrap_or(f64::NAN),
        rss_after_startup.unwrap_or(f64::NAN)
    );
    println!("targets: p50 <= 20 µs, p99 <= 100 µs, start-up <= 300 ms, peak RSS <= 64 MB");
    if a.breakdown {
        breakdown(&base, &matcher, &qs);
    }
}

/// Median and mean µs of `f` over every question, `passes` times.
fn stage<T>(qs: &[String], passes: usize, mut f: impl FnMut(&str) -> T) -> (f64, f64) {
    let mut lat = Vec::with_capacity(qs.len() * passes);
    for _ in 0..passes {
        for q in qs {
            let t = Instant::now();
            black_box(f(black_box(q)));
            lat.push(t.elapsed());
        }
    }
    lat.sort_unstable();
    let mean = lat.iter().sum::<Duration>().as_secs_f64() * 1e6 / lat.len() as f64;
    (pct(&lat, 0.5), mean)
}

fn breakdown(base: &policybot::faq::FaqBase, matcher: &Matcher, qs: &[String]) {
    use policybot::faq::Keyword;
    use policybot::matcher::{Analyzer, intent};
    use policybot::text;
    let rss0 = status_mb("VmRSS:").unwrap_or(f64::NAN);
    let t = Instant::now();
    let segmenter = Analyzer::build(&policybot::faq::FaqBase::default());
    let t_jieba = t.elapsed();
    let rss1 = status_mb("VmRSS:").unwrap_or(f64::NAN);
    drop(segmenter);
    let t = Instant::now();
    let analyzer = Analyzer::build(base);
    let t_analyzer = t.elapsed();
    let kb = policybot::snapshot::Snapshot::build(base.clone(), Thresholds::default());

    // Inputs of each stage, computed once so every stage is timed alone.
    let normalized: Vec<String> = qs.iter().map(|q| text::normalize(q)).collect();
    let stripped: Vec<String> = normalized.iter().map(|n| text::strip_fillers(n)).collect();
    let prepared: Vec<String> = stripped.iter().map(|s| analyzer.rewrite(s)).collect();
    let passes = 20;
    let rows = [
        (
            "normalize (fast2s, fold, mention/emoticon regexes)",
            stage(qs, passes, text::normalize),
        ),
        (
            "intent regexes (smalltalk + specific case)",
            stage(&normalized, passes, |n| {
                intent::is_smalltalk(n) || intent::is_specific_case(n)
            }),
        ),
        (
            "strip_fillers (filler regex)",
            stage(&normalized, passes, text::strip_fillers),
        ),
        (
            "synonym rewrite (one alternation regex)",
            stage(&stripped, passes, |s| analyzer.rewrite(s)),
        ),
        (
            "jieba cut_for_search + stop words (terms)",
            stage(&prepared, passes, |p| analyzer.terms(p)),
        ),
        ("decide, total", stage(qs, passes, |q| matcher.decide(q))),
        (
            "ask: decide + reply + JSON line (`ask --json`)",
            stage(qs, passes, |q| {
                serde_json::to_vec(&policybot::ask::ask(&kb, Default::default(), q)).unwrap()
            }),
        ),
        (
            "decide_in a group with a place (selects twice)",
            stage(qs, passes, |q| matcher.decide_in(q, matcher.home("郑州"))),
        ),
    ];
    // Approximations of two private steps of `rank`, rebuilt here from the base: every `re:` keyword
    // regex run once (decide runs those of candidate entries only, so this is an upper bound), and one
    // overlapping Aho-Corasick pass over all plain keywords.
    let regexes: Vec<policybot::faq::Pattern> = base
        .entries
        .iter()
        .flat_map(|e| &e.keywords)
        .filter_map(|k| match k {
            Keyword::Regex(re) => Some(re.clone()),
            Keyword::Plain(_) => None,
        })
        .collect();
    let plain: Vec<String> = base
        .entries
        .iter()
        .flat_map(|e| &e.keywords)
        .filter_map(Keyword::plain)
        .map(|k| analyzer.rewrite(&text::normalize(k)))
        .filter(|k| !k.is_empty())
        .collect();
    let ac = aho_corasick::AhoCorasick::new(&plain).expect("literal keywords");
    let re_all = stage(&prepared, passes, |p| {
        regexes.iter().filter(|r| r.is_match(p)).count()
    });
    let ac_all = stage(&prepared, passes, |p| ac.find_overlapping_iter(p).count());
    println!(
        "\nbreakdown over {} questions x {passes} (one stage at a time; µs):",
        qs.len()
    );
    for (name, (p50, mean)) in &rows[..6] {
        println!("  {name:<52} p50 {p50:7.1}  mean {mean:7.1}");
    }
    let parts: f64 = rows[..5].iter().map(|r| r.1.1).sum();
    let total = rows[5].1.1;
    println!(
        "  {:<52}              mean {:7.1}  (decide mean − stages above; {:.0}% of decide)",
        "rest: candidates, keyword regexes, scoring, sort",
        total - parts,
        (total - parts) / total * 100.0
    );
    println!(
        "  of which at most: all {} `re:` keyword regexes     p50 {:7.1}  mean {:7.1}",
        regexes.len(),
        re_all.0,
        re_all.1
    );
    println!(
        "  and: {} plain keywords, overlapping Aho-Corasick   p50 {:7.1}  mean {:7.1}",
        plain.len(),
        ac_all.0,
        ac_all.1
    );
    for (name, (p50, mean)) in &rows[6..] {
        println!("  {name:<52} p50 {p50:7.1}  mean {mean:7.1}");
    }
    println!(
        "start-up parts: segmenter alone (embedded dictionary) {:.1} ms, +{:.1} MB RSS; Analyzer::build {:.1} ms",
        t_jieba.as_secs_f64() * 1e3,
        rss1 - rss0,
        t_analyzer.as_secs_f64() * 1e3
    );
}
