//! Matcher benchmarks: `cargo bench --bench matcher`.
//!
//! - `decide/mix`: one `Matcher::decide` call per iteration, each on the next question of the realistic mix
//!   in `tests/questions/*.jsonl` (cycled), so the time per iteration is the mean cost of one question
//!   scored against the whole FAQ base;
//! - `decide/all_questions`: every question of the mix once per iteration (throughput in questions/s);
//! - `startup/*`: `faq::load_dir("faq")`, `Matcher::build` alone, and both (what `ask` and `serve` pay).
//!
//! Per-question percentiles (p50/p99) are in `examples/match_latency.rs`: criterion reports means.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use policybot::faq;
use policybot::matcher::{Matcher, Thresholds};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// The `q` field of every line of `tests/questions/*.jsonl`, files in name order.
fn questions() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir("tests/questions")
        .expect("tests/questions (run from the crate root)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(q) = v["q"].as_str() {
                out.push(q.to_owned());
            }
        }
    }
    assert!(!out.is_empty(), "no questions in tests/questions");
    out
}

fn decide(c: &mut Criterion) {
    let base = faq::load_dir(Path::new("faq")).expect("loading ./faq");
    let matcher = Matcher::build(&base, Thresholds::default());
    let qs = questions();

    let mut g = c.benchmark_group("decide");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("mix", |b| {
        b.iter(|| {
            let q = &qs[i % qs.len()];
            i = i.wrapping_add(1);
            black_box(matcher.decide(black_box(q)))
        })
    });
    g.throughput(Throughput::Elements(qs.len() as u64));
    g.bench_function("all_questions", |b| {
        b.iter(|| {
            for q in &qs {
                black_box(matcher.decide(black_box(q)));
            }
        })
    });
    g.finish();
}

fn startup(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(12));
    g.bench_function("load_faq", |b| {
        b.iter(|| black_box(faq::load_dir(Path::new("faq")).unwrap()))
    });
    let base = faq::load_dir(Path::new("faq")).unwrap();
    g.bench_function("build_matcher", |b| {
        b.iter(|| black_box(Matcher::build(&base, Thresholds::default())))
    });
    g.bench_function("load_and_build", |b| {
        b.iter(|| {
            let base = faq::load_dir(Path::new("faq")).unwrap();
            black_box(Matcher::build(&base, Thresholds::default()))
        })
    });
    g.finish();
}

criterion_group!(benches, decide, startup);
criterion_main!(benches);
